package dev.vireo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Every stream shares the encoded events; each must get its own event, whatever the others do at the time. */
class EncodedEventsTest {

    @Test
    void anEventIsEncodedOnceForEveryStreamThatSendsIt() {
        EncodedEvents<String> recent = new EncodedEvents<>(8, 1 << 20, String::length);
        AtomicInteger encodings = new AtomicInteger();
        for (int stream = 0; stream < 5; stream++) {
            assertEquals("event-42", recent.get(42, offset -> {
                encodings.incrementAndGet();
                return "event-" + offset;
            }));
        }
        assertEquals(1, encodings.get());
    }

    @Test
    void streamsOnManyThreadsGetTheirOwnEventsAlsoWhenTheyShareASlot() throws Exception {
        EncodedEvents<String> recent = new EncodedEvents<>(4, 1 << 20, String::length); // every offset shares a slot with many others
        int threads = 8;
        CountDownLatch go = new CountDownLatch(1);
        AtomicReference<String> wrong = new AtomicReference<>();
        List<Thread> streams = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread stream = new Thread(() -> {
                try {
                    go.await();
                    for (long offset = 1; offset <= 200_000; offset++) {
                        String got = recent.get(offset, o -> "event-" + o);
                        if (!got.equals("event-" + offset)) {
                            wrong.compareAndSet(null, "offset " + offset + " got " + got);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            stream.start();
            streams.add(stream);
        }
        go.countDown();
        for (Thread stream : streams) {
            stream.join();
        }
        assertTrue(wrong.get() == null, wrong::get);
    }

    @Test
    void theEventsKeptAreBoundedInBytesNotOnlyInCount() {
        EncodedEvents<String> recent = new EncodedEvents<>(4096, 1 << 20, String::length);
        String big = "e".repeat(10_000);
        for (long offset = 1; offset <= 4096; offset++) {
            assertEquals(big, recent.get(offset, o -> big));
        }
        // 4096 events of 10 kB would be 40 MB; at most 1 MiB of them is kept
        assertTrue(recent.bytes() <= 1 << 20, recent.bytes() + " bytes kept");
        assertTrue(recent.bytes() > 0);
    }

    @Test
    void anEventLargerThanItsShareIsEncodedForEachStreamAndNotKept() {
        EncodedEvents<String> recent = new EncodedEvents<>(8, 64_000, String::length);
        AtomicInteger encodings = new AtomicInteger();
        for (int stream = 0; stream < 3; stream++) {
            recent.get(7, o -> {
                encodings.incrementAndGet();
                return "x".repeat(7 << 20);
            });
        }
        assertEquals(3, encodings.get());
        assertEquals(0, recent.bytes());
    }
}
