package dev.vireo.protocol.vm;

import dev.vireo.protocol.CborSerializable;

/**
 * How a live migration may run: per request, over the cluster's defaults ({@link #DEFAULT}).
 *
 * @param bandwidthMiBps                 the most it may copy per second, MiB/s; 0: no limit
 * @param maxDowntimeMs                  the longest pause at switchover QEMU may plan for
 * @param completionTimeoutPerGiBSeconds it is given up when it takes longer than this per GiB of guest memory
 * @param progressTimeoutSeconds         it is given up when the data remaining has not shrunk for this long
 * @param autoConverge                   QEMU throttles the guest's vCPUs when it dirties memory faster than copied
 * @param postCopy                       it may switch to post-copy ({@code VIR_MIGRATE_POSTCOPY}): the guest then
 *                                       runs on the target, which fetches the pages it lacks from the source; it
 *                                       switches after {@code postCopyAfterIterations} passes over memory without
 *                                       converging, or when a timeout of this policy would otherwise abort it
 * @param postCopyAfterIterations        with {@code postCopy}: the passes over memory pre-copy gets first (at least
 *                                       1; events recorded before post-copy existed read 0, meaning the default)
 */
public record MigrationPolicy(long bandwidthMiBps, long maxDowntimeMs, long completionTimeoutPerGiBSeconds,
                              long progressTimeoutSeconds, boolean autoConverge, boolean postCopy,
                              long postCopyAfterIterations) implements CborSerializable {

    /** Pre-copy passes over memory before a post-copy migration switches, unless a request or the cluster says. */
    public static final long POST_COPY_AFTER_ITERATIONS = 3;

    /**
     * QEMU's default downtime (300 ms); KubeVirt's timeouts (150 s per GiB, 150 s without progress); pre-copy only
     * (post-copy needs QEMU to be allowed userfaultfd on the target: docs/migration.md).
     */
    public static final MigrationPolicy DEFAULT = new MigrationPolicy(0, 300, 150, 150, false);

    /** A pre-copy policy. */
    public MigrationPolicy(long bandwidthMiBps, long maxDowntimeMs, long completionTimeoutPerGiBSeconds,
                           long progressTimeoutSeconds, boolean autoConverge) {
        this(bandwidthMiBps, maxDowntimeMs, completionTimeoutPerGiBSeconds, progressTimeoutSeconds, autoConverge,
                false, POST_COPY_AFTER_ITERATIONS);
    }

    /** The passes over memory before the switch to post-copy: at least 1. */
    public long switchToPostCopyAfter() {
        return postCopyAfterIterations < 1 ? POST_COPY_AFTER_ITERATIONS : postCopyAfterIterations;
    }

    /** How long the migration of a guest of {@code memoryBytes} may take at most. */
    public long completionTimeoutSeconds(long memoryBytes) {
        double gib = Math.max(memoryBytes, 1L << 30 >> 4) / (double) (1L << 30); // at least 1/16 GiB's worth
        return Math.max(1, Math.round(completionTimeoutPerGiBSeconds * gib));
    }
}
