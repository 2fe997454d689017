package dev.vireo.protocol.vm;

import java.time.Duration;

/**
 * Tunables of the VM life cycle. CrashLoopBackOff waits {@code backoffBase * 2^(crashes-1)}, at most
 * {@code backoffMax}; a run that lasted {@code stableRun} resets the crash count. A VM keeps at most
 * {@code retainedSnapshots} snapshots: a new one beyond that deletes the oldest.
 */
public record VmPolicy(Duration backoffBase, Duration backoffMax, Duration stableRun, int retainedSnapshots) {

    public static final int DEFAULT_RETAINED_SNAPSHOTS = 8;

    public static final VmPolicy DEFAULT = new VmPolicy(Duration.ofSeconds(10), Duration.ofMinutes(5),
            Duration.ofMinutes(1));

    public VmPolicy(Duration backoffBase, Duration backoffMax, Duration stableRun) {
        this(backoffBase, backoffMax, stableRun, DEFAULT_RETAINED_SNAPSHOTS);
    }

    public VmPolicy withRetainedSnapshots(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("a VM keeps at least 1 snapshot, not " + count);
        }
        return new VmPolicy(backoffBase, backoffMax, stableRun, count);
    }

    public long backoffSeconds(int crashCount) {
        long base = Math.max(1, backoffBase.toSeconds());
        int doublings = Math.min(Math.max(crashCount - 1, 0), 30);
        return Math.min(base << doublings, Math.max(base, backoffMax.toSeconds()));
    }
}
