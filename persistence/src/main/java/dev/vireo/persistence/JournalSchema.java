package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Creates the embedded journal's tables on start (the plugin's, from the DDL shipped in its jar, and Vireo's
 * own beside them), and checks they are there.
 */
public final class JournalSchema {

    static final String DDL = "schema/h2/h2-create-schema.sql";
    // The shipped DDL creates one index without IF NOT EXISTS: add it so that every start may run the script.
    private static final Pattern INDEX_WITHOUT_GUARD = Pattern.compile("CREATE (UNIQUE )?INDEX (?!IF NOT EXISTS)", Pattern.CASE_INSENSITIVE);

    private JournalSchema() {
    }

    /** Creates what is missing, then verifies; throws {@link IllegalStateException} saying what is wrong. Blocking. */
    public static void ensure(ActorSystem<?> system) {
        var db = new JournalDatabase(system);
        db.run(c -> {
            try (Statement statement = c.createStatement()) {
                for (String sql : statements()) {
                    statement.execute(sql);
                }
                statement.execute(JournalDatabase.createProjectionOffsets());
                statement.execute(EmbeddedVmList.createTable());
            }
            return null;
        });
        verify(db);
        Integer writeDelay = db.run(JournalSchema::writeDelay);
        if (writeDelay == null || writeDelay != 0) {
            system.log().warn("H2 WRITE_DELAY is {} ms at {}: an acknowledged event can be lost if the process is killed;"
                    + " keep WRITE_DELAY=0 in vireo.persistence.h2-url-options", writeDelay, db.url());
        }
    }

    /** Throws {@link IllegalStateException} unless the journal, tag, snapshot, projection offset and VM list tables exist. Blocking. */
    static void verify(ActorSystem<?> system) {
        verify(new JournalDatabase(system));
    }

    static void verify(JournalDatabase db) {
        List<String> expected = List.of(db.journalTable(), db.tagTable(), db.snapshotTable(),
                JournalDatabase.PROJECTION_OFFSETS, EmbeddedVmList.TABLE);
        List<String> missing = db.run(c -> {
            List<String> absent = new ArrayList<>();
            for (String table : expected) {
                try (ResultSet rs = c.getMetaData().getTables(null, null, table, new String[] {"TABLE", "BASE TABLE"})) {
                    if (!rs.next()) {
                        absent.add(table);
                    }
                }
            }
            return absent;
        });
        if (!missing.isEmpty()) {
            throw new IllegalStateException("journal tables " + missing + " are missing in " + db.url()
                    + " after running " + DDL + ". Check that the data directory is writable and that the"
                    + " table names in jdbc-journal.tables / jdbc-snapshot-store.tables match the DDL.");
        }
    }

    static List<String> statements() {
        String script;
        try (InputStream in = JournalSchema.class.getClassLoader().getResourceAsStream(DDL)) {
            if (in == null) {
                throw new IllegalStateException(DDL + " is not on the classpath: is pekko-persistence-jdbc missing?");
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + DDL + ": " + e.getMessage(), e);
        }
        return Arrays.stream(script.split(";"))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .map(s -> INDEX_WITHOUT_GUARD.matcher(s).replaceFirst(m -> m.group() + "IF NOT EXISTS "))
                .toList();
    }

    private static Integer writeDelay(Connection c) throws SQLException {
        try (Statement statement = c.createStatement();
             ResultSet rs = statement.executeQuery(
                     "SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'WRITE_DELAY'")) {
            return rs.next() ? Integer.valueOf(rs.getString(1)) : null;
        }
    }
}
