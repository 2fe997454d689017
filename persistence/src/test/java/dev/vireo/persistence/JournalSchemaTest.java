package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalSchemaTest {

    @TempDir
    Path dataDir;

    @Test
    void schemaIsCreatedOnAnEmptyDataDir() {
        assertFalse(Files.exists(dataDir.resolve("journal.mv.db")));
        try (var journal = new TestJournal(dataDir)) {
            JournalSchema.verify(journal.system());
            assertTrue(Files.exists(dataDir.resolve("journal.mv.db")), "the H2 file lives under the data dir");
            assertEquals(1, journal.record("VirtualMachine|default/first", "created"));
        }
    }

    @Test
    void existingSchemaAndEventsAreAcceptedOnTheSecondStart() {
        try (var journal = new TestJournal(dataDir)) {
            journal.record("VirtualMachine|default/vm", "one");
            journal.record("VirtualMachine|default/vm", "two");
        }
        try (var journal = new TestJournal(dataDir)) {
            JournalSchema.ensure(journal.system());
            var history = TestJournal.await(journal.log().history(new dev.vireo.protocol.vm.VmId("default", "vm")));
            assertEquals(2, history.size());
            assertEquals(3, journal.record("VirtualMachine|default/vm", "three"), "the log continues after a restart");
        }
    }

    @Test
    void writesAreNotDelayedSoThatAcknowledgedEventsSurviveAKill() {
        try (var journal = new TestJournal(dataDir)) {
            String writeDelay = new JournalDatabase(journal.system()).run(c -> {
                try (Statement s = c.createStatement();
                     ResultSet rs = s.executeQuery(
                             "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
                    rs.next();
                    return rs.getString(1);
                }
            });
            assertEquals("0", writeDelay);
        }
    }

    @Test
    void verificationNamesAMissingTable() {
        try (var journal = new TestJournal(dataDir)) {
            new JournalDatabase(journal.system()).run(c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("DROP TABLE \"event_tag\"");
                }
                return null;
            });
            var error = assertThrows(IllegalStateException.class, () -> JournalSchema.verify(journal.system()));
            assertTrue(error.getMessage().contains("[event_tag]"), error.getMessage());
            assertTrue(error.getMessage().contains("jdbc:h2:file:"), error.getMessage());

            JournalSchema.ensure(journal.system());
            JournalSchema.verify(journal.system());
        }
    }
}
