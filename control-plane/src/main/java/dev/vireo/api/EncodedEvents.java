package dev.vireo.api;

import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.LongFunction;

/**
 * The newest events as sent, by offset modulo its size: every live subscriber sends the same event, so it is
 * encoded once rather than once per subscriber (with 200 subscribers that was most of the stream's CPU). Shared
 * by every stream, each on its own thread: slots are read and written atomically and hold immutable entries
 * that say which offset they are, so a stream gets its own event or encodes it again, never another one.
 */
final class EncodedEvents<T> {

    private record Entry<T>(long offset, T encoded) {
    }

    private final AtomicReferenceArray<Entry<T>> recent;

    EncodedEvents(int size) {
        this.recent = new AtomicReferenceArray<>(size);
    }

    /** The event at {@code offset} encoded: as another stream encoded it, or by {@code encode} now. */
    T get(long offset, LongFunction<T> encode) {
        int slot = (int) Math.floorMod(offset, (long) recent.length());
        Entry<T> hit = recent.get(slot);
        if (hit != null && hit.offset() == offset) {
            return hit.encoded();
        }
        T encoded = encode.apply(offset);
        recent.set(slot, new Entry<>(offset, encoded));
        return encoded;
    }
}
