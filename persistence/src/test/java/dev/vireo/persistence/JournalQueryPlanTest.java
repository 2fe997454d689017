package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The event stream's query must read the journal from its offset by index, whatever the size of the
 * journal: the first version joined the tag table, which H2 scanned whole (0.5 s a query at 100k events).
 */
class JournalQueryPlanTest {

    @TempDir
    Path dataDir;

    @Test
    void theStreamReadsFromItsOffsetByIndexInALargeJournal() {
        try (var journal = new TestJournal(dataDir)) {
            var db = new JournalDatabase(journal.system());
            insertRows(db, 20_000);
            String plan = explain(db, db.selectEvents() + db.taggedAfterCondition(), 19_000L, 20_000L, EventLog.VM_TAG, 512);
            assertFalse(plan.contains("tableScan"), plan);
            assertTrue(plan.contains("ordering > "), "walks the ordering index from the offset: " + plan);
        }
    }

    /**
     * Every list asks for the newest VM event, to know how fresh the VM list must be. The newest rows of a journal
     * are often not VM events: each VM that leaves memory after a restart is an untagged row of sharding's
     * remembered entities (100k of them after a restart of 100k VMs). The query walked the journal down from its
     * newest row and looked each one's tag up: a list cost 100k lookups, and the bench's list scenario never ended.
     */
    @Test
    void theNewestVmEventIsFoundWithoutWalkingTheRowsAboveIt() {
        try (var journal = new TestJournal(dataDir)) {
            var db = new JournalDatabase(journal.system());
            insertRows(db, 2_000);
            long newestVmEvent = db.run(c -> {
                try (var q = c.prepareStatement("SELECT MAX(\"event_id\") FROM \"event_tag\"");
                     ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            });
            insertUntagged(db, "/sharding/VirtualMachineShard-1", 20_000);
            insertTagged(db, "Node|n1", 1); // a node's event: tagged too, not a VM's

            assertEquals(newestVmEvent, db.newestTagged(EventLog.VM_TAG, "VirtualMachine|").toCompletableFuture().join());
            String plan = explainAnalyze(db, db.newestTaggedQuery(), EventLog.VM_TAG, "VirtualMachine|%");
            Matcher scans = Pattern.compile("scanCount: (\\d+)").matcher(plan);
            assertTrue(scans.find(), plan);
            do {
                assertTrue(Long.parseLong(scans.group(1)) < 100, "reads a few rows, not the 20k above: " + plan);
            } while (scans.find());
        }
    }

    private static void insertUntagged(JournalDatabase db, String persistenceId, int rows) {
        db.run(c -> {
            try (PreparedStatement event = c.prepareStatement(INSERT_EVENT)) {
                for (int i = 1; i <= rows; i++) {
                    event.setString(1, persistenceId);
                    event.setLong(2, i);
                    event.executeUpdate();
                }
            }
            return null;
        });
    }

    private static void insertTagged(JournalDatabase db, String persistenceId, long sequenceNr) {
        db.run(c -> {
            try (PreparedStatement event = c.prepareStatement(INSERT_EVENT);
                 PreparedStatement tag = c.prepareStatement(INSERT_TAG)) {
                event.setString(1, persistenceId);
                event.setLong(2, sequenceNr);
                event.executeUpdate();
                tag.setString(1, EventLog.VM_TAG);
                tag.executeUpdate();
            }
            return null;
        });
    }

    private static final String INSERT_EVENT = "INSERT INTO \"event_journal\" (\"persistence_id\","
            + " \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
            + " \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'w', 0, '', X'00', 1, '')";
    private static final String INSERT_TAG = "INSERT INTO \"event_tag\" (\"event_id\", \"tag\")"
            + " SELECT MAX(\"ordering\"), ? FROM \"event_journal\"";

    /** Rows as the plugin writes them (every other one tagged), inserted directly: recording 20k events takes long. */
    private static void insertRows(JournalDatabase db, int rows) {
        db.run(c -> {
            try (PreparedStatement event = c.prepareStatement(INSERT_EVENT);
                 PreparedStatement tag = c.prepareStatement(INSERT_TAG)) {
                for (int i = 1; i <= rows; i++) {
                    event.setString(1, "VirtualMachine|plan/vm-" + (i % 100));
                    event.setLong(2, i);
                    event.executeUpdate();
                    if (i % 2 == 0) {
                        tag.setString(1, EventLog.VM_TAG);
                        tag.executeUpdate();
                    }
                }
            }
            return null;
        });
    }

    private static String explain(JournalDatabase db, String sql, Object... parameters) {
        return plan(db, "EXPLAIN ", sql, parameters);
    }

    /** The plan with what running it read: {@code scanCount} per table. */
    private static String explainAnalyze(JournalDatabase db, String sql, Object... parameters) {
        return plan(db, "EXPLAIN ANALYZE ", sql, parameters);
    }

    private static String plan(JournalDatabase db, String explain, String sql, Object... parameters) {
        return db.run(c -> {
            try (PreparedStatement q = c.prepareStatement(explain + sql)) {
                for (int i = 0; i < parameters.length; i++) {
                    q.setObject(i + 1, parameters[i]);
                }
                try (ResultSet rs = q.executeQuery()) {
                    rs.next();
                    return rs.getString(1);
                }
            }
        });
    }
}
