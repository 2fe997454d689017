package dev.vireo.protocol.vm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A VM's snapshots, oldest first, and the one snapshot or restore that may be under way on its node.
 *
 * @param home    the node that holds the VM's files (its disk overlays): where it runs, or last ran; null before
 *                its first placement
 * @param pending the snapshot or restore under way; null when none is
 */
public record Snapshots(List<Snapshot> items, Pending pending, String home) {

    /**
     * A snapshot being taken or restored: its node's report ends it, recorded under {@code requestId}, the request
     * that asked for it.
     */
    public record Pending(Kind kind, String snapshot, String node, RestorePolicy policy, String requestId) {
        public enum Kind { Snapshot, Restore }
    }

    public static final Snapshots NONE = new Snapshots(List.of(), null, null);

    public Snapshots {
        items = items == null ? List.of() : List.copyOf(items);
    }

    public Optional<Snapshot> find(String name) {
        return items.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    Snapshots at(String node) {
        return node == null || node.equals(home) ? this : new Snapshots(items, pending, node);
    }

    Snapshots requested(String name, boolean memory, String node, EventMeta meta) {
        List<Snapshot> next = new ArrayList<>(items);
        next.add(Snapshot.requested(name, memory, node, meta.timestamp()));
        return new Snapshots(next, new Pending(Pending.Kind.Snapshot, name, node, null, meta.requestId()), home);
    }

    Snapshots completed(String name, Instant at, long size, long pause) {
        return new Snapshots(replace(name, s -> s.completed(at, size, pause)), null, home);
    }

    Snapshots failed(String name, Instant at, String why) {
        return new Snapshots(replace(name, s -> s.failed(at, why)), null, home);
    }

    Snapshots restoring(String name, String node, RestorePolicy policy, String requestId) {
        return new Snapshots(items, new Pending(Pending.Kind.Restore, name, node, policy, requestId), home);
    }

    Snapshots restoreEnded() {
        return new Snapshots(items, null, home);
    }

    Snapshots deleted(String name) {
        List<Snapshot> next = new ArrayList<>(items);
        next.removeIf(s -> s.name().equals(name));
        boolean wasPending = pending != null && pending.snapshot().equals(name);
        return new Snapshots(next, wasPending ? null : pending, home);
    }

    private List<Snapshot> replace(String name, java.util.function.UnaryOperator<Snapshot> change) {
        return items.stream().map(s -> s.name().equals(name) ? change.apply(s) : s).toList();
    }
}
