package dev.vireo.persistence;

import dev.vireo.protocol.node.NodeEvent;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import slick.jdbc.JdbcDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Plain JDBC on the embedded journal's own (shared) connection pool, for what the plugin does not offer: the
 * one place that knows the plugin's tables and columns, and Vireo's own tables beside them.
 */
final class JournalDatabase {

    interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private final ActorSystem<?> system;
    private final String journalTable;
    private final String tagTable;
    private final String snapshotTable;
    /** Looked up once: {@link #replay} runs for every VM a restart recovers. */
    private final Serialization serialization;
    private volatile JdbcDataSource dataSource;

    JournalDatabase(ActorSystem<?> system) {
        this.system = system;
        var config = system.settings().config();
        this.journalTable = config.getString("jdbc-journal.tables.event_journal.tableName");
        this.tagTable = config.getString("jdbc-journal.tables.event_tag.tableName");
        this.snapshotTable = config.getString("jdbc-snapshot-store.tables.snapshot.tableName");
        this.serialization = SerializationExtension.get(system.classicSystem());
    }

    <T> T run(Work<T> work) {
        try (Connection connection = dataSource().createConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("journal database " + url() + ": " + e.getMessage(), e);
        }
    }

    /** A connection of the pool, for a caller that keeps it (the journal's writer); close it to give it back. */
    Connection connection() {
        return dataSource().createConnection();
    }

    /** {@code work} on Pekko's dispatcher for blocking work, never on a pool that runs actors or futures. */
    <T> CompletionStage<T> runAsync(Work<T> work) {
        return CompletableFuture.supplyAsync(() -> run(work), blocking());
    }

    Executor blocking() {
        return system.dispatchers().lookup(DispatcherSelector.blocking());
    }

    /**
     * The ordering of the newest event tagged {@code tag} whose persistence id starts with {@code prefix}, 0 when
     * there is none.
     */
    CompletionStage<Long> newestTagged(String tag, String prefix) {
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement(newestTaggedQuery())) {
                q.setString(1, tag);
                q.setString(2, prefix.replace("%", "\\%").replace("_", "\\_") + "%");
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    /**
     * Parameters: the tag, then the persistence id's LIKE pattern. Walks the tag table down from its newest row: the
     * rows above the newest VM event are mostly untagged (sharding's remembered entities), and walking the journal
     * itself looked each of them up.
     */
    String newestTaggedQuery() {
        return "SELECT t.\"event_id\" FROM \"" + tagTable() + "\" t WHERE t.\"tag\" = ? AND EXISTS (SELECT 1 FROM \""
                + journalTable() + "\" j WHERE j.\"ordering\" = t.\"event_id\" AND j.\"deleted\" = FALSE"
                + " AND j.\"persistence_id\" LIKE ?) ORDER BY t.\"event_id\" DESC LIMIT 1";
    }

    /**
     * Up to {@code limit} events tagged {@code tag} with ordering above {@code afterOrdering} and at most
     * {@code durableOrdering} (on disk: {@link JournalForce}), in ordering order. Complete up to there because
     * the journal commits in ordering order ({@link #requireSerialWrites}): a query never sees an event while an
     * earlier one is still missing.
     */
    CompletionStage<List<LoggedEvent>> taggedAfter(String tag, long afterOrdering, long durableOrdering, int limit) {
        return events(taggedAfterCondition(), q -> {
            q.setLong(1, afterOrdering);
            q.setLong(2, durableOrdering);
            q.setString(3, tag);
            q.setInt(4, limit);
        });
    }

    /**
     * Written so that H2 walks the journal's ordering index from the offset and looks each row's tag up:
     * as a join, H2 scanned the whole tag table first (0.5 s a query at 100k events).
     */
    String taggedAfterCondition() {
        return " WHERE j.\"ordering\" > ? AND j.\"ordering\" <= ? AND j.\"deleted\" = FALSE AND EXISTS (SELECT 1 FROM \""
                + tagTable() + "\" t WHERE t.\"event_id\" = j.\"ordering\" AND t.\"tag\" = ?) ORDER BY j.\"ordering\" LIMIT ?";
    }

    /**
     * The events of {@code persistenceId} with sequence numbers in [{@code from}, {@code to}] and ordering at most
     * {@code durableOrdering}, in order.
     */
    CompletionStage<List<StoredEvent>> eventsOf(String persistenceId, long from, long to, long durableOrdering) {
        return this.<StoredEvent>events(" WHERE j.\"persistence_id\" = ? AND j.\"sequence_number\" BETWEEN ? AND ?"
                + " AND j.\"ordering\" <= ? AND j.\"deleted\" = FALSE ORDER BY j.\"sequence_number\"", q -> {
            q.setString(1, persistenceId);
            q.setLong(2, from);
            q.setLong(3, to);
            q.setLong(4, durableOrdering);
        });
    }

    private interface Parameters {
        void set(PreparedStatement query) throws SQLException;
    }

    /** The columns of a {@link LoggedEvent} from the journal table, as {@code j}, for a condition to follow. */
    String selectEvents() {
        return "SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\", j.\"write_timestamp\","
                + " j.\"event_ser_id\", j.\"event_ser_manifest\", j.\"event_payload\" FROM \"" + journalTable() + "\" j";
    }

    /** The events {@code condition} selects: a VM's as {@link StoredEvent}, the nodes' as {@link StoredNodeEvent}. */
    @SuppressWarnings("unchecked")
    private <E extends LoggedEvent> CompletionStage<List<E>> events(String condition, Parameters parameters) {
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement(selectEvents() + condition)) {
                parameters.set(q);
                List<E> events = new ArrayList<>();
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        Object event = serialization.deserialize(rs.getBytes(7), rs.getInt(5), rs.getString(6)).get();
                        Instant written = Instant.ofEpochMilli(rs.getLong(4));
                        if (event instanceof VmEvent vmEvent) {
                            events.add((E) new StoredEvent(rs.getLong(1), VmId.fromPersistenceId(rs.getString(2)),
                                    rs.getLong(3), written, vmEvent));
                        } else if (event instanceof NodeEvent nodeEvent) {
                            events.add((E) new StoredNodeEvent(rs.getLong(1), rs.getLong(3), written, nodeEvent));
                        } else {
                            throw new IllegalStateException("event " + rs.getLong(3) + " of " + rs.getString(2)
                                    + " is a " + event.getClass().getName() + ", neither a VM's event nor a node's");
                        }
                    }
                }
                return events;
            }
        });
    }

    /** The highest sequence number {@code persistenceId} ever wrote (deleted events included, as the plugin), 0 if none. */
    long highestSequenceNr(Connection c, String persistenceId) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT MAX(\"sequence_number\") FROM \"" + journalTable
                + "\" WHERE \"persistence_id\" = ?")) {
            q.setString(1, persistenceId);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0L;
            }
        }
    }

    /**
     * Hands {@code replayed} the events of {@code persistenceId} in [{@code from}, {@code to}], at most {@code max}
     * of them, in order, as the plugin's replay does (deleted events skipped), read {@code batch} rows a query so
     * that a long log never sits in memory at once. Plain JDBC instead of the plugin's replay, which materialized
     * a stream per recovery through Slick (docs/benchmarks.md, "Recovery of 100k VMs under 30 s again").
     */
    Done replay(Connection c, String persistenceId, long from, long to, long max, int batch,
                Consumer<PersistentRepr> replayed) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT \"sequence_number\", \"writer\", \"write_timestamp\","
                + " \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\", \"meta_ser_id\","
                + " \"meta_ser_manifest\", \"meta_payload\" FROM \"" + journalTable + "\" WHERE \"persistence_id\" = ?"
                + " AND \"deleted\" = FALSE AND \"sequence_number\" BETWEEN ? AND ? ORDER BY \"sequence_number\" LIMIT ?")) {
            long next = from;
            long left = max;
            while (left > 0 && next <= to) {
                q.setString(1, persistenceId);
                q.setLong(2, next);
                q.setLong(3, to);
                q.setLong(4, Math.min(left, batch));
                int read = 0;
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        long sequenceNr = rs.getLong(1);
                        Object event = serialization.deserialize(rs.getBytes(7), rs.getInt(5), rs.getString(6)).get();
                        PersistentRepr repr = PersistentRepr.apply(event, sequenceNr, persistenceId, rs.getString(4),
                                false, null, rs.getString(2));
                        byte[] meta = rs.getBytes(10);
                        if (meta != null) {
                            String metaManifest = rs.getString(9);
                            repr = repr.withMetadata(serialization.deserialize(meta, rs.getInt(8),
                                    metaManifest == null ? "" : metaManifest).get());
                        }
                        replayed.accept(repr.withTimestamp(rs.getLong(3)));
                        next = sequenceNr + 1;
                        read++;
                    }
                }
                left -= read;
                if (read < batch) {
                    break;
                }
            }
        }
        return Done.getInstance();
    }

    /**
     * Throws unless the journal writes one batch at a time. Then orderings commit in order, and reading
     * "everything above my offset" never skips an event whose insert is still running; with parallel
     * writes a reader would have to wait out gaps as the plugin's own tag query does.
     */
    static void requireSerialWrites(com.typesafe.config.Config config) {
        int parallelism = config.getInt("jdbc-journal.parallelism");
        if (parallelism != 1) {
            throw new IllegalStateException("jdbc-journal.parallelism is " + parallelism + ": the event stream"
                    + " needs 1, so that the journal commits events in offset order (see vireo-persistence.conf)");
        }
    }

    /**
     * Forces the database file to stable storage (H2's {@code CHECKPOINT SYNC}: what is committed and not yet
     * written goes to the file, then an fsync of it) and returns the newest ordering committed before the
     * force began: every event up to it is on disk.
     */
    long forceToDisk() {
        return run(c -> {
            long committed;
            try (PreparedStatement q = c.prepareStatement("SELECT COALESCE(MAX(\"ordering\"), 0) FROM \""
                    + journalTable() + "\""); ResultSet rs = q.executeQuery()) {
                rs.next();
                committed = rs.getLong(1);
            }
            try (var sync = c.createStatement()) {
                sync.execute("CHECKPOINT SYNC");
            }
            return committed;
        });
    }

    /** The persistence ids that start with {@code prefix}, sorted: a range of the journal's primary key. */
    CompletionStage<List<String>> persistenceIdsStartingWith(String prefix) {
        String end = prefix.substring(0, prefix.length() - 1) + (char) (prefix.charAt(prefix.length() - 1) + 1);
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT DISTINCT \"persistence_id\" FROM \"" + journalTable() + "\""
                    + " WHERE \"persistence_id\" >= ? AND \"persistence_id\" < ? ORDER BY \"persistence_id\"")) {
                q.setString(1, prefix);
                q.setString(2, end);
                List<String> ids = new ArrayList<>();
                try (ResultSet rs = q.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getString(1));
                    }
                }
                return ids;
            }
        });
    }

    /** The newest snapshot of {@code persistenceId} whose {@code created} is below {@code beforeMillis}. */
    CompletionStage<Optional<EmbeddedEventLog.Snapshot>> newestSnapshotBefore(String persistenceId, long beforeMillis) {
        String table = snapshotTable();
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT \"sequence_number\", \"snapshot_ser_id\","
                    + " \"snapshot_ser_manifest\", \"snapshot_payload\" FROM \"" + table + "\""
                    + " WHERE \"persistence_id\" = ? AND \"created\" < ? ORDER BY \"sequence_number\" DESC LIMIT 1")) {
                q.setString(1, persistenceId);
                q.setLong(2, beforeMillis);
                try (ResultSet rs = q.executeQuery()) {
                    if (!rs.next()) {
                        return Optional.empty();
                    }
                    Object state = serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3)).get();
                    if (!(state instanceof VmState vm)) {
                        throw new IllegalStateException("the snapshot of " + persistenceId + " is a "
                                + state.getClass().getName() + ", not a VM's state");
                    }
                    return Optional.of(new EmbeddedEventLog.Snapshot(rs.getLong(1), vm));
                }
            }
        });
    }

    /** The offset of the last event {@code projection} handled, 0 when it handled none. */
    CompletionStage<Long> projectionOffset(String projection) {
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement("SELECT \"event_offset\" FROM \"" + PROJECTION_OFFSETS
                    + "\" WHERE \"projection\" = ?")) {
                q.setString(1, projection);
                try (ResultSet rs = q.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    CompletionStage<Done> saveProjectionOffset(String projection, long offset) {
        return runAsync(c -> {
            try (PreparedStatement q = c.prepareStatement("MERGE INTO \"" + PROJECTION_OFFSETS
                    + "\" (\"projection\", \"event_offset\") KEY (\"projection\") VALUES (?, ?)")) {
                q.setString(1, projection);
                q.setLong(2, offset);
                q.executeUpdate();
            }
            return Done.getInstance();
        });
    }

    /** Where each projection of the log has got to: survives restarts with the journal. */
    static final String PROJECTION_OFFSETS = "vireo_projection_offsets";

    static String createProjectionOffsets() {
        return "CREATE TABLE IF NOT EXISTS \"" + PROJECTION_OFFSETS + "\" (\"projection\" VARCHAR(64) PRIMARY KEY,"
                + " \"event_offset\" BIGINT NOT NULL)";
    }

    /** The journal's event table, as the plugin is configured to write it. */
    String journalTable() {
        return journalTable;
    }

    String tagTable() {
        return tagTable;
    }

    String snapshotTable() {
        return snapshotTable;
    }

    String url() {
        return system.settings().config().getString(JournalConfig.SHARED_DB_URL);
    }

    private JdbcDataSource dataSource() {
        JdbcDataSource source = dataSource;
        if (source == null) {
            var slick = (SlickExtensionImpl) SlickExtension.get(system.classicSystem());
            source = slick.database(system.settings().config().getConfig("jdbc-journal")).database().source();
            dataSource = source;
        }
        return source;
    }
}
