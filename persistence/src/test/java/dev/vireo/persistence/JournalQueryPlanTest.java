package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;

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

    /** Rows as the plugin writes them (every other one tagged), inserted directly: recording 20k events takes long. */
    private static void insertRows(JournalDatabase db, int rows) {
        db.run(c -> {
            try (PreparedStatement event = c.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\","
                    + " \"sequence_number\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_payload\","
                    + " \"event_ser_id\", \"event_ser_manifest\") VALUES (?, ?, 'w', 0, '', X'00', 1, '')");
                 PreparedStatement tag = c.prepareStatement("INSERT INTO \"event_tag\" (\"event_id\", \"tag\")"
                         + " SELECT MAX(\"ordering\"), ? FROM \"event_journal\"")) {
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
        return db.run(c -> {
            try (PreparedStatement q = c.prepareStatement("EXPLAIN " + sql)) {
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
