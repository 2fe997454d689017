package dev.vireo.kube;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.db.SlickExtension;
import org.apache.pekko.persistence.jdbc.db.SlickExtensionImpl;

/**
 * Where a projection of the event log has got to, in a small table of the journal's own database: it
 * survives restarts with the journal and needs nothing else installed.
 */
final class ProjectionOffsets {

    static final String TABLE = "vireo_projection_offsets";

    private final ActorSystem<?> system;

    ProjectionOffsets(ActorSystem<?> system) {
        this.system = system;
        run(c -> {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS \"" + TABLE + "\" (\"projection\" VARCHAR(64) PRIMARY KEY,"
                        + " \"event_offset\" BIGINT NOT NULL)");
            }
            return null;
        });
    }

    /** The offset of the last event handled, 0 when none was. */
    long load(String projection) {
        return run(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT \"event_offset\" FROM \"" + TABLE
                    + "\" WHERE \"projection\" = ?")) {
                s.setString(1, projection);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next() ? rs.getLong(1) : 0L;
                }
            }
        });
    }

    void save(String projection, long offset) {
        run(c -> {
            try (PreparedStatement s = c.prepareStatement("MERGE INTO \"" + TABLE
                    + "\" (\"projection\", \"event_offset\") KEY (\"projection\") VALUES (?, ?)")) {
                s.setString(1, projection);
                s.setLong(2, offset);
                s.executeUpdate();
            }
            return null;
        });
    }

    private interface Work<T> {
        T apply(Connection connection) throws SQLException;
    }

    private <T> T run(Work<T> work) {
        var slick = (SlickExtensionImpl) SlickExtension.get(system.classicSystem());
        var source = slick.database(system.settings().config().getConfig("jdbc-journal")).database().source();
        try (Connection connection = source.createConnection()) {
            return work.apply(connection);
        } catch (SQLException e) {
            throw new IllegalStateException("projection offsets in the journal database: " + e.getMessage(), e);
        }
    }
}
