package dev.vireo.api;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;
import java.util.function.ToLongFunction;

/**
 * The newest events as sent, by offset modulo its size: every live subscriber sends the same event, so it is
 * encoded once rather than once per subscriber (with 200 subscribers that was most of the stream's CPU). Shared
 * by every stream, each on its own thread: slots are read and written atomically and hold immutable entries
 * that say which offset they are, so a stream gets its own event or encodes it again, never another one.
 * Bounded in bytes, not only in count: a journal of large events (a VM of megabytes) must not hold thousands
 * of them here; an event larger than a slot's share is encoded per stream and not kept.
 */
final class EncodedEvents<T> {

    private record Entry<T>(long offset, T encoded, long bytes) {
    }

    private final AtomicReferenceArray<Entry<T>> recent;
    private final long maxBytes;
    private final long maxEntryBytes;
    private final ToLongFunction<T> sizeOf;
    private final AtomicLong bytes = new AtomicLong();

    /** Up to {@code size} events of at most {@code maxBytes} together, each sized by {@code sizeOf}. */
    EncodedEvents(int size, long maxBytes, ToLongFunction<T> sizeOf) {
        this.recent = new AtomicReferenceArray<>(size);
        this.maxBytes = maxBytes;
        this.maxEntryBytes = Math.max(1, maxBytes / 64);
        this.sizeOf = sizeOf;
    }

    /** The event at {@code offset} encoded: as another stream encoded it, or by {@code encode} now. */
    T get(long offset, LongFunction<T> encode) {
        int slot = (int) Math.floorMod(offset, (long) recent.length());
        Entry<T> hit = recent.get(slot);
        if (hit != null && hit.offset() == offset) {
            return hit.encoded();
        }
        T encoded = encode.apply(offset);
        long size = sizeOf.applyAsLong(encoded);
        if (size <= maxEntryBytes) {
            Entry<T> entry = new Entry<>(offset, encoded, size);
            Entry<T> replaced = recent.getAndSet(slot, entry);
            long total = bytes.addAndGet(size - (replaced == null ? 0 : replaced.bytes()));
            if (total > maxBytes && recent.compareAndSet(slot, entry, null)) {
                // over the bound: this one is not kept after all
                bytes.addAndGet(-size);
            }
        }
        return encoded;
    }

    /** What the kept events take, as {@code sizeOf} counts (for tests). */
    long bytes() {
        return bytes.get();
    }
}
