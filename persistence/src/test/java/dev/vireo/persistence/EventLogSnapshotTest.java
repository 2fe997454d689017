package dev.vireo.persistence;

import dev.vireo.protocol.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLogSnapshotTest {

    @TempDir
    static Path dataDir;
    static TestJournal journal;

    @BeforeAll
    static void start() {
        journal = new TestJournal(dataDir);
    }

    @AfterAll
    static void stop() {
        journal.close();
    }

    @Test
    void snapshotBeforeAnInstantAndTheEventsAfterItRebuildTheState() throws Exception {
        String id = "VirtualMachine|default/snapshotted";
        ActorRef<Counter.Add> counter = journal.kit.spawn(new Counter(id), "counter");
        Instant beforeAll = Instant.now();
        Thread.sleep(5);
        for (int i = 1; i <= 25; i++) {
            int n = i;
            AskPattern.<Counter.Add, Long>ask(counter, r -> new Counter.Add(n, r), Duration.ofSeconds(10),
                    journal.kit.scheduler()).toCompletableFuture().get();
        }
        Thread.sleep(5);

        Optional<EventLog.Snapshot> newest = TestJournal.await(journal.log().snapshotBefore(id, Instant.now()));
        assertTrue(newest.isPresent(), "a snapshot every 10 events");
        assertEquals(20, newest.get().sequenceNr());
        assertEquals(new Counter.Sum(210), newest.get().state(), "1 + ... + 20");
        List<StoredEvent> after = TestJournal.await(journal.log().historyAfter(id, 20, e -> true));
        assertEquals(List.of(21L, 22L, 23L, 24L, 25L), after.stream().map(StoredEvent::sequenceNr).toList());
        assertEquals(List.of(21L, 22L), TestJournal.await(journal.log().historyAfter(id, 20,
                e -> ((Counter.Added) e.event()).n() <= 22)).stream().map(StoredEvent::sequenceNr).toList());

        assertEquals(Optional.empty(), TestJournal.await(journal.log().snapshotBefore(id, beforeAll)),
                "no snapshot was saved before the first event");
        assertEquals(Optional.empty(), TestJournal.await(journal.log().snapshotBefore("VirtualMachine|default/none",
                Instant.now())));
    }

    @Test
    void historyAfterReadsAcrossItsChunksAndStopsWhereAsked() throws Exception {
        String id = "VirtualMachine|default/long-log";
        ActorRef<Counter.Add> counter = journal.kit.spawn(new Counter(id), "long-counter");
        int events = EventLog.HISTORY_CHUNK * 2 + 17;
        for (int i = 1; i <= events; i++) {
            int n = i;
            AskPattern.<Counter.Add, Long>ask(counter, r -> new Counter.Add(n, r), Duration.ofSeconds(10),
                    journal.kit.scheduler()).toCompletableFuture().get();
        }
        List<Long> all = TestJournal.await(journal.log().historyAfter(id, 3, e -> true)).stream()
                .map(StoredEvent::sequenceNr).toList();
        assertEquals(java.util.stream.LongStream.rangeClosed(4, events).boxed().toList(), all);
        int cut = EventLog.HISTORY_CHUNK + 40;
        List<StoredEvent> upToCut = TestJournal.await(journal.log().historyAfter(id, 0,
                e -> ((Counter.Added) e.event()).n() <= cut));
        assertEquals(cut, upToCut.size());
        assertEquals((long) cut, upToCut.get(cut - 1).sequenceNr());
        List<StoredEvent> exactChunk = TestJournal.await(journal.log().historyAfter(id, events - EventLog.HISTORY_CHUNK,
                e -> true));
        assertEquals(EventLog.HISTORY_CHUNK, exactChunk.size(), "a last chunk that is exactly full ends the read");
    }

    /** Sums numbers; snapshots every 10 events. */
    static final class Counter extends EventSourcedBehavior<Counter.Add, Counter.Added, Counter.Sum> {
        record Add(int n, ActorRef<Long> replyTo) {
        }

        record Added(int n) implements CborSerializable {
        }

        record Sum(long value) implements CborSerializable {
        }

        Counter(String persistenceId) {
            super(PersistenceId.ofUniqueId(persistenceId));
        }

        @Override
        public Sum emptyState() {
            return new Sum(0);
        }

        @Override
        public CommandHandler<Add, Added, Sum> commandHandler() {
            return newCommandHandlerBuilder().forAnyState()
                    .onCommand(Add.class, (state, cmd) -> Effect().persist(new Added(cmd.n()))
                            .thenReply(cmd.replyTo(), Sum::value))
                    .build();
        }

        @Override
        public EventHandler<Sum, Added> eventHandler() {
            return newEventHandlerBuilder().forAnyState()
                    .onEvent(Added.class, (state, e) -> new Sum(state.value() + e.n()))
                    .build();
        }

        @Override
        public RetentionCriteria retentionCriteria() {
            return RetentionCriteria.snapshotEvery(10, 5);
        }
    }
}
