package dev.vireo.persistence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.apache.pekko.persistence.PersistentRepr;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal's own replay reads what the plugin's did: the range, the limit, no deleted event, every column. */
class JournalReplayTest {

    private static final String A = "VirtualMachine|w/a";
    private static final String B = "VirtualMachine|w/b";
    /** pekko's ByteArraySerializer: a payload replays as the bytes written */
    private static final int BYTES = 4;

    @TempDir
    Path dataDir;

    @Test
    void replayReadsTheRangeInBatchesUpToItsLimitAndSkipsDeletedEvents() throws Exception {
        try (var journal = new TestJournal(dataDir)) {
            List<JournalWriter.Write> writes = new ArrayList<>();
            for (long n = 1; n <= 20; n++) {
                writes.add(write(row(A, n, null)));
                writes.add(write(row(B, n, null)));
            }
            JournalDatabase database = written(journal, writes);
            database.run(c -> c.createStatement().executeUpdate("UPDATE \"" + database.journalTable()
                    + "\" SET \"deleted\" = TRUE WHERE \"persistence_id\" = '" + A + "' AND \"sequence_number\" = 5"));

            assertEquals(List.of(3L, 4L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L),
                    sequenceNrs(replay(database, A, 3, 15, Long.MAX_VALUE, 4)), "the range, in batches of 4");
            assertEquals(List.of(1L, 2L, 3L, 4L, 6L), sequenceNrs(replay(database, A, 1, 20, 5, 2)), "at most 5");
            assertEquals(LongStream.rangeClosed(1, 20).boxed().toList(),
                    sequenceNrs(replay(database, B, 0, Long.MAX_VALUE, Long.MAX_VALUE, 400)), "another VM's log, whole");
            assertEquals(List.of(), replay(database, "VirtualMachine|w/none", 1, Long.MAX_VALUE, Long.MAX_VALUE, 400));
            assertEquals(20L, (long) database.run(c -> database.highestSequenceNr(c, A)), "deleted events count, as the plugin's");
            assertEquals(0L, (long) database.run(c -> database.highestSequenceNr(c, "VirtualMachine|w/none")));
        }
    }

    @Test
    void aReplayedEventCarriesItsWriterTimestampManifestAndMetadata() throws Exception {
        try (var journal = new TestJournal(dataDir)) {
            JournalDatabase database = written(journal, List.of(write(row(A, 1, null)),
                    write(row(A, 2, "meta".getBytes(StandardCharsets.UTF_8)))));

            List<PersistentRepr> replayed = replay(database, A, 1, 2, 10, 400);
            assertEquals(2, replayed.size());
            PersistentRepr second = replayed.get(1);
            assertEquals(A, second.persistenceId());
            assertEquals("writer-2", second.writerUuid());
            assertEquals(1_000_002L, second.timestamp());
            assertEquals("manifest-2", second.manifest());
            assertFalse(second.deleted());
            assertArrayEquals("event 2".getBytes(StandardCharsets.UTF_8), (byte[]) second.payload());
            assertArrayEquals("meta".getBytes(StandardCharsets.UTF_8), (byte[]) second.metadata().get());
            assertFalse(replayed.get(0).metadata().isDefined());
        }
    }

    /** The journal's database once its writer has committed and forced {@code writes}, as one group. */
    private static JournalDatabase written(TestJournal journal, List<JournalWriter.Write> writes) throws Exception {
        JournalDatabase database = new JournalDatabase(journal.system());
        new JournalWriter(database::connection, JournalForce.get(journal.system()), database.journalTable(),
                database.tagTable(), 100).commit(writes); // its thread not started: the test hands it the group
        for (JournalWriter.Write write : writes) {
            write.done().get(10, TimeUnit.SECONDS);
        }
        return database;
    }

    private static List<PersistentRepr> replay(JournalDatabase database, String persistenceId, long from, long to,
                                               long max, int batch) {
        List<PersistentRepr> replayed = new ArrayList<>();
        database.run(c -> database.replay(c, persistenceId, from, to, max, batch, replayed::add));
        return replayed;
    }

    private static List<Long> sequenceNrs(List<PersistentRepr> replayed) {
        return replayed.stream().map(PersistentRepr::sequenceNr).toList();
    }

    private static JournalWriter.Write write(JournalWriter.Row row) {
        return new JournalWriter.Write(List.of(row), true, new CompletableFuture<>());
    }

    private static JournalWriter.Row row(String persistenceId, long sequenceNr, byte[] meta) {
        return new JournalWriter.Row(persistenceId, sequenceNr, "writer-" + sequenceNr, 1_000_000L + sequenceNr,
                "manifest-" + sequenceNr, ("event " + sequenceNr).getBytes(StandardCharsets.UTF_8), BYTES, "",
                meta, meta == null ? null : BYTES, meta == null ? null : "", Set.of("vm"));
    }
}
