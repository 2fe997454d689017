package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurableJdbcJournalTest {

    private static final String REMEMBERED = "/sharding/VirtualMachineShard/7";

    @TempDir
    Path dataDir;
    @TempDir
    Path afterCut;

    @Test
    void shardingsRememberedEntityIsAcknowledgedWithoutAForceAndTheNextAcknowledgedEventCoversIt() throws Exception {
        var overrides = PowerCutFilePath.journalOnIt();
        byte[] image;
        try (var journal = new TestJournal(dataDir, overrides)) {
            JournalForce force = JournalForce.get(journal.system());
            warmUp(journal);
            long forces = force.counts().forces();

            journal.record(REMEMBERED, "entity started");
            assertEquals(forces, force.counts().forces(), "a remembered entity waited for a force");

            journal.record("VirtualMachine|cut/vm-1", "created");
            assertTrue(force.counts().forces() > forces, "a VM event was acknowledged without a force");
            image = PowerCutFilePath.cut(dataDir.resolve("journal.mv.db"));
        }

        Files.write(afterCut.resolve("journal.mv.db"), image);
        try (var journal = new TestJournal(afterCut)) {
            JournalDatabase database = new JournalDatabase(journal.system());
            long remembered = database.run(c -> {
                try (var q = c.prepareStatement("SELECT COUNT(*) FROM \"" + database.journalTable()
                        + "\" WHERE \"persistence_id\" = ?")) {
                    q.setString(1, REMEMBERED);
                    try (var rs = q.executeQuery()) {
                        rs.next();
                        return rs.getLong(1);
                    }
                }
            });
            assertEquals(1, remembered, "the force of a later event did not cover the remembered entity");
            assertEquals(1, TestJournal.await(journal.log().history(TestJournal.vm("VirtualMachine|cut/vm-1"))).size());
        }
    }

    /** The first write of a fresh journal (JVM and H2 warming up) took over 10 s once on a machine at load 32. */
    private static void warmUp(TestJournal journal) {
        for (int attempt = 1; ; attempt++) {
            try {
                journal.record("VirtualMachine|cut/earlier", "earlier");
                return;
            } catch (AssertionError slow) {
                if (attempt == 3) {
                    throw slow;
                }
            }
        }
    }
}
