package dev.vireo.protocol.vm;

import java.time.Duration;

/**
 * Tunables of the VM life cycle. CrashLoopBackOff waits {@code backoffBase * 2^(crashes-1)}, at most
 * {@code backoffMax}; a run that lasted {@code stableRun} resets the crash count.
 */
public record VmPolicy(Duration backoffBase, Duration backoffMax, Duration stableRun) {

    public static final VmPolicy DEFAULT = new VmPolicy(Duration.ofSeconds(10), Duration.ofMinutes(5),
            Duration.ofMinutes(1));

    public long backoffSeconds(int crashCount) {
        long base = Math.max(1, backoffBase.toSeconds());
        int doublings = Math.min(Math.max(crashCount - 1, 0), 30);
        return Math.min(base << doublings, Math.max(base, backoffMax.toSeconds()));
    }
}
