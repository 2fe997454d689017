package dev.vireo.persistence;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventStreamTest {

    private static final Duration PATIENCE = Duration.ofSeconds(20);

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
    void streamFromZeroReplaysThenContinuesLive() {
        for (int i = 0; i < 5; i++) {
            journal.record("VirtualMachine|default/a", "e" + i);
        }
        try (var subscriber = new Subscriber(journal.log().stream(0), journal.system())) {
            subscriber.awaitAtLeast(5, PATIENCE);

            long latestLatency = 0;
            for (int i = 5; i < 10; i++) {
                long start = System.nanoTime();
                journal.record("VirtualMachine|default/a", "e" + i);
                subscriber.awaitAtLeast(i + 1, PATIENCE);
                latestLatency = Math.max(latestLatency, (System.nanoTime() - start) / 1_000_000);
            }
            System.out.println("live delivery, slowest of 5: " + latestLatency + " ms");

            Subscriber.sleep(300);
            assertEquals(IntStream.range(0, 10).mapToObj(i -> "e" + i).toList(),
                    subscriber.received.stream().map(Recorder::text).toList());
            assertStrictlyIncreasing(subscriber.offsets());
        }
    }

    @Test
    void aSignalledPersistReachesSubscribersWithoutWaitingForThePoll(@TempDir Path otherDir) {
        journal.close();
        journal = new TestJournal(otherDir, ConfigFactory.parseString(
                "vireo.persistence.event-stream.poll-interval = 1h"), true);
        try (var subscriber = new Subscriber(journal.log().stream(0), journal.system())) {
            for (int i = 0; i < 20; i++) {
                journal.record("VirtualMachine|default/signalled", "s" + i);
                subscriber.awaitAtLeast(i + 1, PATIENCE);
            }
            assertStrictlyIncreasing(subscriber.offsets());
        }
    }

    @Test
    void theStreamRefusesAJournalThatWritesInParallel() {
        var parallel = ConfigFactory.parseString("jdbc-journal.parallelism = 8");
        var refused = assertThrows(IllegalStateException.class, () -> JournalDatabase.requireSerialWrites(parallel));
        assertTrue(refused.getMessage().contains("jdbc-journal.parallelism is 8"), refused.getMessage());
        JournalDatabase.requireSerialWrites(journal.system().settings().config());
    }

    @Test
    void resumingFromAnOffsetGivesExactlyTheLaterEventsWhileWritesContinue() throws Exception {
        int writers = 4;
        int perWriter = 150;
        for (int i = 0; i < 20; i++) {
            journal.record("VirtualMachine|default/before", "b" + i);
        }
        try (var fromZero = new Subscriber(journal.log().stream(0), journal.system())) {
            CompletableFuture<Void> writes = writeConcurrently(writers, perWriter);
            List<Subscriber> resumed = new ArrayList<>();
            List<Long> resumedAfter = new ArrayList<>();
            for (int cut = 10; cut < 20 + writers * perWriter - 50; cut += 20) {
                fromZero.awaitAtLeast(cut, PATIENCE);
                long offset = fromZero.received.get(cut - 1).offset();
                resumedAfter.add(offset);
                resumed.add(new Subscriber(journal.log().stream(offset), journal.system()));
            }
            writes.get(60, TimeUnit.SECONDS);
            assertTrue(resumed.get(resumed.size() - 1).received.size() < writers * perWriter,
                    "the last subscriber joined while writes were still going on");

            List<Long> all = allTaggedOffsets();
            assertEquals(20 + writers * perWriter, all.size());
            fromZero.awaitAtLeast(all.size(), PATIENCE);
            assertEquals(all, fromZero.offsets());
            for (int i = 0; i < resumed.size(); i++) {
                Subscriber subscriber = resumed.get(i);
                long after = resumedAfter.get(i);
                List<Long> expected = all.stream().filter(o -> o > after).toList();
                subscriber.awaitAtLeast(expected.size(), PATIENCE);
                assertEquals(expected, subscriber.offsets(), "no gap, no duplicate after the resume point");
                subscriber.close();
            }
        }
    }

    @Test
    void streamFromNowSkipsTheExistingEvents() {
        for (int i = 0; i < 5; i++) {
            journal.record("VirtualMachine|default/old", "old" + i);
        }
        long lastOld = allTaggedOffsets().get(4);
        try (var subscriber = new Subscriber(journal.log().stream(EventLog.FROM_NOW), journal.system())) {
            int sent = 0;
            while (subscriber.received.isEmpty() && sent < 500) {
                journal.record("VirtualMachine|default/new", "new" + sent++);
                Subscriber.sleep(20);
            }
            for (int i = 0; i < 3; i++) {
                journal.record("VirtualMachine|default/new", "new" + sent++);
            }
            List<Long> all = allTaggedOffsets();
            List<Long> tail = all.subList(all.size() - 3, all.size());
            subscriber.awaitAtLeast(3, PATIENCE);
            Subscriber.sleep(300);
            List<Long> got = subscriber.offsets();
            assertTrue(got.get(0) > lastOld, "no event from before the subscription: " + got);
            assertEquals(all.subList(all.indexOf(got.get(0)), all.size()), got, "a gapless suffix");
            assertTrue(got.containsAll(tail));
        }
    }

    @Test
    void hundredsOfSubscribersSeeTheSameEvents() throws Exception {
        List<Subscriber> subscribers = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            subscribers.add(new Subscriber(journal.log().stream(0), journal.system()));
        }
        writeConcurrently(4, 50).get(60, TimeUnit.SECONDS);
        List<Long> all = allTaggedOffsets();
        assertEquals(200, all.size());
        long start = System.nanoTime();
        for (Subscriber subscriber : subscribers) {
            subscriber.awaitAtLeast(all.size(), PATIENCE);
        }
        for (Subscriber subscriber : subscribers) {
            assertEquals(all, subscriber.offsets());
            subscriber.close();
        }
        System.out.println("300 subscribers complete " + (System.nanoTime() - start) / 1_000_000 + " ms after the last write");
    }

    @Test
    void aSubscriberThatStopsReadingIsCutOffAndCanResume() throws Exception {
        var queue = journal.log().stream(EventLog.FROM_NOW).runWith(Sink.queue(1), journal.system());
        Subscriber.sleep(300);
        writeConcurrently(8, 200).get(60, TimeUnit.SECONDS);

        Throwable failure = null;
        long lastOffset = 0;
        for (int i = 0; i < 2000 && failure == null; i++) {
            try {
                var next = queue.pull().toCompletableFuture().get(5, TimeUnit.SECONDS);
                if (next.isPresent()) {
                    lastOffset = next.get().offset();
                }
            } catch (ExecutionException e) {
                failure = e.getCause();
            }
        }
        assertInstanceOf(SubscriberTooSlow.class, failure);
        try (var resumed = new Subscriber(journal.log().stream(lastOffset), journal.system())) {
            List<Long> all = allTaggedOffsets();
            long after = lastOffset;
            List<Long> expected = all.stream().filter(o -> o > after).toList();
            resumed.awaitAtLeast(expected.size(), PATIENCE);
            assertEquals(expected, resumed.offsets());
        }
    }

    private CompletableFuture<Void> writeConcurrently(int writers, int perWriter) {
        List<CompletableFuture<Long>> chains = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            String id = "VirtualMachine|default/writer-" + w;
            CompletionStage<Long> chain = CompletableFuture.completedFuture(0L);
            for (int i = 0; i < perWriter; i++) {
                String text = "w" + w + "-" + i;
                chain = chain.thenCompose(seq -> journal.recordAsync(id, text));
            }
            chains.add(chain.toCompletableFuture());
        }
        return CompletableFuture.allOf(chains.toArray(CompletableFuture[]::new));
    }

    private List<Long> allTaggedOffsets() {
        JdbcReadJournal read = PersistenceQuery.get(journal.system())
                .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
        return TestJournal.await(read.currentEventsByTag(EventLog.VM_TAG, Offset.noOffset())
                .map(e -> ((Sequence) e.offset()).value())
                .runWith(Sink.seq(), journal.system()));
    }

    private static void assertStrictlyIncreasing(List<Long> offsets) {
        for (int i = 1; i < offsets.size(); i++) {
            assertTrue(offsets.get(i) > offsets.get(i - 1), "offsets " + offsets);
        }
    }
}
