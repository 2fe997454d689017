package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JournalWriterTest {

    @TempDir
    Path dataDir;

    @Test
    void aGroupWithADuplicateSequenceNumberFailsOnlyThatWriteAndCommitsTheOthers() throws Exception {
        try (var journal = new TestJournal(dataDir)) {
            JournalDatabase database = new JournalDatabase(journal.system());
            JournalWriter writer = new JournalWriter(database::connection, JournalForce.get(journal.system()),
                    database.journalTable(), database.tagTable(), 100);
            var first = queued(new CompletableFuture<>(), "VirtualMachine|w/a", 1);
            writer.commit(List.of(first)); // the writer's thread is not started: the test hands it each group
            first.done().get(10, TimeUnit.SECONDS);

            var duplicate = queued(new CompletableFuture<>(), "VirtualMachine|w/a", 1);
            var other = queued(new CompletableFuture<>(), "VirtualMachine|w/b", 1);
            var next = queued(new CompletableFuture<>(), "VirtualMachine|w/a", 2);
            writer.commit(List.of(duplicate, other, next));

            ExecutionException failed = assertThrows(ExecutionException.class, () -> duplicate.done().get(10, TimeUnit.SECONDS));
            assertTrue(failed.getCause().getMessage().contains("events 1..1 of VirtualMachine|w/a not written"),
                    failed.getCause().getMessage());
            other.done().get(10, TimeUnit.SECONDS);
            next.done().get(10, TimeUnit.SECONDS);
            assertEquals(List.of("VirtualMachine|w/a:1", "VirtualMachine|w/b:1", "VirtualMachine|w/a:2"), rows(database));
            assertEquals(3L, (long) database.run(c -> {
                try (var q = c.prepareStatement("SELECT COUNT(*) FROM \"" + database.tagTable() + "\" WHERE \"tag\" = 'vm'");
                     var rs = q.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }), "every written event keeps its tag, none of the failed one's");
        }
    }

    private static JournalWriter.Write queued(CompletableFuture<Void> done, String persistenceId, long sequenceNr) {
        return new JournalWriter.Write(List.of(row(persistenceId, sequenceNr)), true, done);
    }

    private static JournalWriter.Row row(String persistenceId, long sequenceNr) {
        return new JournalWriter.Row(persistenceId, sequenceNr, "writer", System.currentTimeMillis(), "",
                ("event " + sequenceNr).getBytes(StandardCharsets.UTF_8), 4, "", null, null, null, Set.of("vm"));
    }

    /** persistence id:sequence number of every row, in ordering order. */
    private static List<String> rows(JournalDatabase database) {
        return database.run(c -> {
            try (var q = c.prepareStatement("SELECT \"persistence_id\", \"sequence_number\" FROM \""
                    + database.journalTable() + "\" ORDER BY \"ordering\"");
                 var rs = q.executeQuery()) {
                List<String> rows = new java.util.ArrayList<>();
                while (rs.next()) {
                    rows.add(rs.getString(1) + ":" + rs.getLong(2));
                }
                return rows;
            }
        });
    }
}
