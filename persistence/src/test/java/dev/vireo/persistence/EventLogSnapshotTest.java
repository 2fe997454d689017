package dev.vireo.persistence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Time travel: a VM's state at an instant, from the newest snapshot before it and the events after that. */
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

    /** Records {@code count} events (a create, then spec updates: the generation counts them), a snapshot every 10. */
    private static void record(VmId vm, int count) throws Exception {
        ActorRef<Recorder.Record> recorder = journal.kit.spawn(Recorder.create(vm.persistenceId(), null, 10),
                "recorder-" + vm.name());
        for (int i = 1; i <= count; i++) {
            String text = "e" + i;
            AskPattern.<Recorder.Record, Long>ask(recorder, r -> new Recorder.Record(text, r), Duration.ofSeconds(10),
                    journal.kit.scheduler()).toCompletableFuture().get();
        }
    }

    @Test
    void snapshotBeforeAnInstantAndTheEventsAfterItRebuildTheState() throws Exception {
        VmId vm = new VmId("default", "snapshotted");
        Instant beforeAll = Instant.now();
        Thread.sleep(5);
        record(vm, 25);
        Thread.sleep(5);

        Optional<EmbeddedEventLog.Snapshot> newest = TestJournal.await(journal.embedded().snapshotBefore(vm, Instant.now()));
        assertTrue(newest.isPresent(), "a snapshot every 10 events");
        assertEquals(20, newest.get().sequenceNr());
        assertEquals(20, newest.get().state().generation(), "the VM as it was after its 20th event");
        List<StoredEvent> after = TestJournal.await(journal.embedded().historyAfter(vm, 20, e -> true));
        assertEquals(List.of(21L, 22L, 23L, 24L, 25L), after.stream().map(StoredEvent::sequenceNr).toList());
        assertEquals(List.of(21L, 22L), TestJournal.await(journal.embedded().historyAfter(vm, 20,
                e -> e.sequenceNr() <= 22)).stream().map(StoredEvent::sequenceNr).toList());

        assertEquals(Optional.empty(), TestJournal.await(journal.embedded().snapshotBefore(vm, beforeAll)),
                "no snapshot was saved before the first event");
        assertEquals(Optional.empty(), TestJournal.await(journal.embedded().snapshotBefore(new VmId("default", "none"),
                Instant.now())));
    }

    @Test
    void stateAtAnInstantIsTheVmAfterEveryEventUpToIt() throws Exception {
        VmId vm = new VmId("default", "travelled");
        record(vm, 23);
        List<StoredEvent> history = TestJournal.await(journal.log().history(vm));
        for (int seq : new int[] {1, 9, 10, 11, 20, 23}) {
            Instant at = history.get(seq - 1).event().meta().timestamp();
            VmState then = TestJournal.await(journal.log().stateAt(vm, at));
            int decidedByThen = (int) history.stream().filter(e -> !e.event().meta().timestamp().isAfter(at)).count();
            assertEquals(decidedByThen, then.version(), "every event decided at or before " + at);
            assertEquals(decidedByThen, then.generation());
        }
        assertFalse(TestJournal.await(journal.log().stateAt(vm, Instant.EPOCH)).exists(), "before its creation");
        assertEquals(23, TestJournal.await(journal.log().stateAt(vm, Instant.MAX)).version(),
                "an instant far beyond what milliseconds hold is simply the present");
    }

    @Test
    void historyAfterReadsAcrossItsChunksAndStopsWhereAsked() throws Exception {
        VmId vm = new VmId("default", "long-log");
        int events = EmbeddedEventLog.HISTORY_CHUNK * 2 + 17;
        record(vm, events);
        List<Long> all = TestJournal.await(journal.embedded().historyAfter(vm, 3, e -> true)).stream()
                .map(StoredEvent::sequenceNr).toList();
        assertEquals(java.util.stream.LongStream.rangeClosed(4, events).boxed().toList(), all);
        int cut = EmbeddedEventLog.HISTORY_CHUNK + 40;
        List<StoredEvent> upToCut = TestJournal.await(journal.embedded().historyAfter(vm, 0, e -> e.sequenceNr() <= cut));
        assertEquals(cut, upToCut.size());
        assertEquals((long) cut, upToCut.get(cut - 1).sequenceNr());
        List<StoredEvent> exactChunk = TestJournal.await(journal.embedded().historyAfter(vm,
                events - EmbeddedEventLog.HISTORY_CHUNK, e -> true));
        assertEquals(EmbeddedEventLog.HISTORY_CHUNK, exactChunk.size(), "a last chunk that is exactly full ends the read");
    }
}
