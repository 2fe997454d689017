package dev.vireo.vm;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;

/**
 * How many VM entities replay their logs at once after a restart (Pekko's {@code max-concurrent-recoveries}),
 * from {@code vireo.vm.recovery}: a number, or {@code auto} for one replay per {@code heap-per-replay} of the
 * maximum heap, within [{@value #AT_LEAST}, {@value #AT_MOST}]. Each replaying VM holds its state in memory,
 * and a journal written before every field was bounded may hold VMs of megabytes (issue #13), so the count is
 * what bounds a recovery's heap; but 16 replays at once left a restart of 100k VMs half as fast as 128 on a
 * 6 GiB heap, which has room for hundreds (docs/benchmarks.md).
 */
public final class RecoveryConcurrency {

    static final int AT_LEAST = 16;
    static final int AT_MOST = 1000;
    static final String PEKKO = "pekko.persistence.max-concurrent-recoveries";

    private RecoveryConcurrency() {
    }

    /** {@code config} with Pekko's setting derived from {@code vireo.vm.recovery} for a heap of {@code maxHeapBytes}. */
    public static Config apply(Config config, long maxHeapBytes) {
        return config.withValue(PEKKO, ConfigValueFactory.fromAnyRef(replays(config.getConfig("vireo.vm.recovery"),
                maxHeapBytes)));
    }

    static int replays(Config recovery, long maxHeapBytes) {
        String setting = recovery.getString("concurrent-replays");
        if (!setting.equals("auto")) {
            int replays;
            try {
                replays = Integer.parseInt(setting);
            } catch (NumberFormatException e) {
                replays = 0;
            }
            if (replays < 1) {
                throw new IllegalArgumentException("vireo.vm.recovery.concurrent-replays is \"" + setting
                        + "\": a positive number or auto");
            }
            return replays;
        }
        long perReplay = recovery.getBytes("heap-per-replay");
        if (perReplay < 1) {
            throw new IllegalArgumentException("vireo.vm.recovery.heap-per-replay must be positive");
        }
        return (int) Math.max(AT_LEAST, Math.min(AT_MOST, maxHeapBytes / perReplay));
    }
}
