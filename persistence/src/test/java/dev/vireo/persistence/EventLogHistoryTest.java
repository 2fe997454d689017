package dev.vireo.persistence;

import dev.vireo.protocol.vm.VmId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EventLogHistoryTest {

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
    void historyReturnsTheEventsInOrderWithTheirTimestamps() {
        String id = "VirtualMachine|default/ordered";
        Instant before = Instant.now();
        for (int i = 1; i <= 20; i++) {
            journal.record(id, "e" + i);
            journal.record("VirtualMachine|default/interleaved", "x" + i);
        }
        Instant after = Instant.now();

        List<StoredEvent> history = TestJournal.await(journal.log().history(TestJournal.vm(id)));

        assertEquals(20, history.size());
        for (int i = 0; i < history.size(); i++) {
            StoredEvent e = history.get(i);
            assertEquals(TestJournal.vm(id), e.vm());
            assertEquals(i + 1, e.sequenceNr());
            assertEquals("e" + (i + 1), Recorder.text(e));
            assertFalse(e.timestamp().isBefore(before.minusMillis(1)), e.timestamp() + " before " + before);
            assertFalse(e.timestamp().isAfter(after), e.timestamp() + " after " + after);
            if (i > 0) {
                assertTrue(e.offset() > history.get(i - 1).offset(), "offsets increase");
                assertFalse(e.timestamp().isBefore(history.get(i - 1).timestamp()), "timestamps do not go back");
            }
        }
    }

    /** The events written at or before {@code at}, as time travel asks for them. */
    private List<StoredEvent> until(String id, Instant at) {
        return TestJournal.await(journal.embedded().historyAfter(TestJournal.vm(id), 0, e -> !e.timestamp().isAfter(at)));
    }

    @Test
    void historyAfterCutsAtAnInstant() throws InterruptedException {
        String id = "VirtualMachine|default/travel";
        journal.record(id, "created");
        journal.record(id, "started");
        Thread.sleep(20);
        Instant between = Instant.now();
        Thread.sleep(20);
        journal.record(id, "stopped");

        List<StoredEvent> untilBetween = until(id, between);
        assertEquals(List.of("created", "started"), untilBetween.stream().map(Recorder::text).toList());

        List<StoredEvent> all = TestJournal.await(journal.log().history(TestJournal.vm(id)));
        Instant atSecond = all.get(1).timestamp();
        assertEquals(2, until(id, atSecond).size(), "the cut is inclusive");
        assertEquals(0, until(id, all.get(0).timestamp().minusMillis(1)).size());
        assertEquals(3, until(id, Instant.now()).size());
    }

    @Test
    void historyOfAnUnknownVmIsEmpty() {
        assertEquals(List.of(), TestJournal.await(journal.log().history(new VmId("default", "never"))));
    }

    @Test
    void vmsAreThoseWithALogAndOnlyThose() {
        journal.record("VirtualMachine|team/b", "created");
        journal.record("VirtualMachine|team/a", "created");
        journal.record("/sharding/VirtualMachineCoordinator", "internal");

        List<VmId> ids = TestJournal.await(journal.log().vms(null));

        assertTrue(ids.containsAll(List.of(new VmId("team", "a"), new VmId("team", "b"))), ids.toString());
        assertEquals(ids.stream().sorted().toList(), ids);
    }

    @Test
    void vmsOfANamespaceAreThoseOfItsVmsOnly() {
        journal.record("VirtualMachine|team/b", "created");
        journal.record("VirtualMachine|team/a", "created");
        journal.record("VirtualMachine|team/a", "started");
        journal.record("VirtualMachine|team-2/c", "created");
        journal.record("VirtualMachine|teams/d", "created");
        journal.record("VirtualMachine|tea/e", "created");

        assertEquals(List.of(new VmId("team", "a"), new VmId("team", "b")), TestJournal.await(journal.log().vms("team")));
        assertEquals(List.of(), TestJournal.await(journal.log().vms("nobody")));
    }
}
