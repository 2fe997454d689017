package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import slick.jdbc.JdbcDataSource;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/** Plain JDBC on the journal's own (shared) connection pool, for what the plugin does not offer. */
final class JournalDatabase {

    interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private final ActorSystem<?> system;

    JournalDatabase(ActorSystem<?> system) {
        this.system = system;
    }

    <T> T run(Work<T> work) {
        try (Connection connection = dataSource().createConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("journal database " + url() + ": " + e.getMessage(), e);
        }
    }

    <T> CompletionStage<T> runAsync(Work<T> work) {
        Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
        return CompletableFuture.supplyAsync(() -> run(work), blocking);
    }

    /** The highest ordering in the journal, 0 when empty. */
    CompletionStage<Long> maxOrdering() {
        String table = system.settings().config().getString("jdbc-read-journal.tables.event_journal.tableName");
        return runAsync(c -> {
            try (var statement = c.createStatement();
                 ResultSet rs = statement.executeQuery("SELECT COALESCE(MAX(\"ordering\"), 0) FROM \"" + table + "\"")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    /** The newest snapshot of {@code persistenceId} whose {@code created} is below {@code beforeMillis}. */
    CompletionStage<Optional<EventLog.Snapshot>> newestSnapshotBefore(String persistenceId, long beforeMillis) {
        String table = system.settings().config().getString("jdbc-snapshot-store.tables.snapshot.tableName");
        Serialization serialization = SerializationExtension.get(system.classicSystem());
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
                    return Optional.of(new EventLog.Snapshot(rs.getLong(1), state));
                }
            }
        });
    }

    String url() {
        return system.settings().config().getString(JournalConfig.SHARED_DB_URL);
    }

    private JdbcDataSource dataSource() {
        var slick = (SlickExtensionImpl) SlickExtension.get(system.classicSystem());
        return slick.database(system.settings().config().getConfig("jdbc-journal")).database().source();
    }
}
