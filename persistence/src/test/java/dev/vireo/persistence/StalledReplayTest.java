package dev.vireo.persistence;

import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Subscription;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A replay whose subscriber stops reading costs only that subscriber (hardening finding 4): more stalled
 * replays than there are catch-up permits, and a new subscriber still gets its whole replay at once.
 */
class StalledReplayTest {

    /** Several pages: a replay that cannot end inside the stream's buffers while its reader stalls. */
    private static final int EVENTS = 3 * LiveEventFeed.PAGE + 100;

    @TempDir
    Path dataDir;
    TestJournal journal;

    @BeforeEach
    void start() {
        journal = new TestJournal(dataDir);
    }

    @AfterEach
    void stop() {
        journal.close();
    }

    @Test
    void replaysWhoseReadersStallLeaveEveryCatchUpPermitFree() {
        List<CompletableFuture<Long>> writes = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            writes.add(journal.recordAsync("VirtualMachine|default/vm-" + (i % 20), "e" + i).toCompletableFuture());
        }
        TestJournal.await(CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
        int permits = journal.system().settings().config().getInt("vireo.persistence.event-stream.concurrent-catch-ups");

        List<StalledReader> stalled = new ArrayList<>();
        for (int i = 0; i < permits * 3; i++) {
            StalledReader reader = new StalledReader(10);
            journal.log().stream(0).runWith(Sink.fromSubscriber(reader), journal.system());
            stalled.add(reader);
        }
        for (StalledReader reader : stalled) {
            reader.awaitTaken(Duration.ofSeconds(20));
        }

        long start = System.nanoTime();
        try (var fresh = new Subscriber(journal.log().stream(0), journal.system())) {
            fresh.awaitAtLeast(EVENTS, Duration.ofSeconds(15));
            System.out.printf("a replay of %d events beside %d stalled ones: %d ms%n", EVENTS, stalled.size(),
                    (System.nanoTime() - start) / 1_000_000);
            assertEquals(EVENTS, fresh.received.size());
        } finally {
            stalled.forEach(StalledReader::cancel);
        }
    }

    /** Takes {@code wanted} events and then never asks for more, as a client that stopped reading its socket. */
    private static final class StalledReader implements org.reactivestreams.Subscriber<StoredEvent> {
        private final int wanted;
        private final AtomicInteger taken = new AtomicInteger();
        private volatile Subscription subscription;

        StalledReader(int wanted) {
            this.wanted = wanted;
        }

        @Override
        public void onSubscribe(Subscription s) {
            subscription = s;
            s.request(wanted);
        }

        @Override
        public void onNext(StoredEvent event) {
            taken.incrementAndGet();
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onComplete() {
        }

        void awaitTaken(Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            while (taken.get() < wanted) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("a reader took " + taken.get() + " of its " + wanted + " events");
                }
                Subscriber.sleep(10);
            }
        }

        void cancel() {
            if (subscription != null) {
                subscription.cancel();
            }
        }
    }
}
