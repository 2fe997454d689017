package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

class JournalLayoutTest {

    @TempDir
    Path dataDir;

    @Test
    void aNewJournalKeepsTheShardCountItWasFirstUsedWith() {
        try (var journal = new TestJournal(dataDir)) {
            assertEquals(100, JournalLayout.numberOfShards(journal.system(), 100));
            journal.record("VirtualMachine|default/a", "created");
        }
        try (var reopened = new TestJournal(dataDir)) {
            assertEquals(100, JournalLayout.numberOfShards(reopened.system(), 50),
                    "a configured count that differs does not apply to a journal in use");
        }
    }

    @Test
    void aJournalShardedBeforeTheCountWasRecordedKeepsTheOldDefault() {
        try (var journal = new TestJournal(dataDir)) {
            journal.record("/sharding/VirtualMachineCoordinator", "shard 17 allocated");
            assertEquals(JournalLayout.UNRECORDED_SHARDS, JournalLayout.numberOfShards(journal.system(), 100));
        }
        try (var reopened = new TestJournal(dataDir)) {
            assertEquals(JournalLayout.UNRECORDED_SHARDS, JournalLayout.numberOfShards(reopened.system(), 100));
        }
    }
}
