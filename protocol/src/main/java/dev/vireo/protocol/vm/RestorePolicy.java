package dev.vireo.protocol.vm;

/** What a restore does with the VM's guest, recorded in {@code RestoreRequested}. */
public enum RestorePolicy {
    /** A stopped VM: its disks become the snapshot's; it stays stopped (a snapshot's memory is not used). */
    DisksOnly,
    /** A running (or paused) VM and a disk-only snapshot: stop the guest, restore the disks, start it again (a boot). */
    StopRestoreStart,
    /** A running (or paused) VM and a snapshot with memory: stop the guest, restore the disks, resume from the saved memory (no boot). */
    ResumeFromMemory
}
