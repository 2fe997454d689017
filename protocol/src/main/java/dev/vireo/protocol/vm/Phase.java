package dev.vireo.protocol.vm;

import java.util.EnumSet;
import java.util.Set;

/** status.printableStatus: where a VM is in its life. */
public enum Phase {
    Stopped, Scheduling, ErrorUnschedulable, Starting, Running, Paused, Stopping, Migrating, Snapshotting,
    Restoring, CrashLoopBackOff, Failed, Terminating, Unknown;

    /** Phases in which the VM has a placement on a node (and maybe a domain there). */
    public static final Set<Phase> PLACED = EnumSet.of(Starting, Running, Paused, Stopping, Terminating,
            Migrating, Snapshotting, Restoring, Unknown);

    /** Phases in which the VM waits for the scheduler. */
    public static final Set<Phase> WAITING_FOR_PLACEMENT = EnumSet.of(Scheduling, ErrorUnschedulable);

    public boolean isPlaced() {
        return PLACED.contains(this);
    }

    public boolean isWaitingForPlacement() {
        return WAITING_FOR_PLACEMENT.contains(this);
    }
}
