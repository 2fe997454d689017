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
 */
public record MigrationPolicy(long bandwidthMiBps, long maxDowntimeMs, long completionTimeoutPerGiBSeconds,
                              long progressTimeoutSeconds, boolean autoConverge) implements CborSerializable {

    /** QEMU's default downtime (300 ms); KubeVirt's timeouts (150 s per GiB, 150 s without progress). */
    public static final MigrationPolicy DEFAULT = new MigrationPolicy(0, 300, 150, 150, false);

    /** How long the migration of a guest of {@code memoryBytes} may take at most. */
    public long completionTimeoutSeconds(long memoryBytes) {
        double gib = Math.max(memoryBytes, 1L << 30 >> 4) / (double) (1L << 30); // at least 1/16 GiB's worth
        return Math.max(1, Math.round(completionTimeoutPerGiBSeconds * gib));
    }
}
