package dev.vireo.protocol.vm;

import dev.vireo.protocol.CborSerializable;

/**
 * A migration job's progress as libvirt reports it on the source: bytes of memory and disk.
 *
 * @param dirtyRate pages the guest dirties per second; 0 when libvirt does not say
 * @param iteration the pass over guest memory (1: the first full copy; more: copying what was dirtied)
 * @param postCopy  the migration switched to post-copy: the guest runs on the target, which fetches the pages it
 *                  still lacks from the source (events recorded before post-copy existed read false)
 */
public record MigrationProgress(long elapsedMs, long dataTotal, long dataProcessed, long dataRemaining,
                                long dirtyRate, long iteration, boolean postCopy) implements CborSerializable {

    /** Progress of a pre-copy migration. */
    public MigrationProgress(long elapsedMs, long dataTotal, long dataProcessed, long dataRemaining, long dirtyRate,
                             long iteration) {
        this(elapsedMs, dataTotal, dataProcessed, dataRemaining, dirtyRate, iteration, false);
    }

    /** Percent of the data transferred, 0 to 100. */
    public int percent() {
        return dataTotal <= 0 ? 0 : (int) Math.min(100, dataProcessed * 100 / dataTotal);
    }
}
