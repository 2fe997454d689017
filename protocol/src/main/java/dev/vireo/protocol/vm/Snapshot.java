package dev.vireo.protocol.vm;

import java.time.Instant;

/**
 * A snapshot of a VM, as its log says it is: files of the VM's own on {@code node} (disk copies, and the memory
 * state when {@code memory}).
 *
 * @param pauseMs how long the guest was paused to take it (0 for a stopped VM, -1 until known)
 * @param reason  why it failed; null unless {@code phase} is Failed
 */
public record Snapshot(String name, Phase phase, boolean memory, String node, Instant requestedAt,
                       Instant completedAt, long sizeBytes, long pauseMs, String reason) {

    /** status.phase of a snapshot. */
    public enum Phase { InProgress, Succeeded, Failed }

    static Snapshot requested(String name, boolean memory, String node, Instant at) {
        return new Snapshot(name, Phase.InProgress, memory, node, at, null, 0, -1, null);
    }

    Snapshot completed(Instant at, long size, long pause) {
        return new Snapshot(name, Phase.Succeeded, memory, node, requestedAt, at, size, pause, null);
    }

    Snapshot failed(Instant at, String why) {
        return new Snapshot(name, Phase.Failed, memory, node, requestedAt, at, 0, pauseMs, why);
    }
}
