package dev.vireo.protocol.vm;

/** status.printableStatus: where a VM is in its life, in a word. {@link Stage} says what each phase knows. */
public enum Phase {
    Stopped, Scheduling, ErrorUnschedulable, Starting, Running, Paused, Stopping, Migrating, Snapshotting,
    Restoring, CrashLoopBackOff, Failed, Terminating, Unknown
}
