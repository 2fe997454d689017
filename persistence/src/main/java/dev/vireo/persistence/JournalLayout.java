package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Settings a journal is written with and must be read with, recorded in the journal's own database.
 *
 * <p>The number of shards is one: sharding remembers which VMs each shard holds, so a journal written
 * with N shards and opened with M would start a remembered VM in its old shard while messages for it go
 * to its new one, two writers of one VM. The count in effect when the journal is first used is recorded;
 * later starts use it whatever the configuration says.
 */
public final class JournalLayout {

    /** What Vireo ran with before the count was recorded (Pekko's default, not configured then). */
    static final int UNRECORDED_SHARDS = 1000;
    static final String TABLE = "vireo_journal_layout";
    private static final String SHARDS = "number-of-shards";

    private JournalLayout() {
    }

    /** The journal's number of shards: recorded, or {@code configured} recorded now for a new journal. Blocking. */
    public static int numberOfShards(ActorSystem<?> system, int configured) {
        var db = new JournalDatabase(system);
        String journal = db.journalTable();
        int recorded = db.run(c -> {
            createTable(c);
            String value = read(c, SHARDS);
            if (value != null) {
                return Integer.parseInt(value);
            }
            int count = hasShardingData(c, journal) ? UNRECORDED_SHARDS : configured;
            write(c, SHARDS, Integer.toString(count));
            return count;
        });
        if (recorded != configured) {
            system.log().warn("the journal at {} was written with {} shards: using {}, not the configured {}"
                    + " (changing the count of a journal in use would run a VM in two shards at once)",
                    db.url(), recorded, recorded, configured);
        }
        return recorded;
    }

    private static void createTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS \"" + TABLE + "\" (\"name\" VARCHAR(64) PRIMARY KEY,"
                    + " \"value\" VARCHAR(255) NOT NULL)");
        }
    }

    private static String read(Connection c, String name) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("SELECT \"value\" FROM \"" + TABLE + "\" WHERE \"name\" = ?")) {
            q.setString(1, name);
            try (ResultSet rs = q.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    private static void write(Connection c, String name, String value) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("INSERT INTO \"" + TABLE + "\" (\"name\", \"value\") VALUES (?, ?)")) {
            q.setString(1, name);
            q.setString(2, value);
            q.executeUpdate();
        }
    }

    /** Sharding's own persistent actors (coordinator, shards) have written: the journal is in use. */
    private static boolean hasShardingData(Connection c, String journal) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT 1 FROM \"" + journal + "\" WHERE \"persistence_id\" LIKE '/sharding/%' LIMIT 1")) {
            return rs.next();
        }
    }
}
