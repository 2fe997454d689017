package dev.vireo.persistence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.api.LabelSelector;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;

/**
 * The VM list of the embedded journal: a table in the journal's own H2 database, keyed by namespace and name
 * (a list is one range of that key), with the list's offset in the projection offsets table, written in the
 * same transaction as the entries.
 */
final class EmbeddedVmList implements VmList {

    static final String TABLE = "vireo_vm_list";
    /** The list's name among the projections of the log. */
    static final String PROJECTION = "vm-list";
    /** Rows fetched at a time while a list is read. */
    private static final int SCAN = 2000;
    private static final TypeReference<Map<String, String>> LABELS = new TypeReference<>() {
    };

    private final JournalDatabase database;
    private final Serialization serialization;

    EmbeddedVmList(ActorSystem<?> system) {
        this.database = new JournalDatabase(system);
        this.serialization = SerializationExtension.get(system.classicSystem());
    }

    static String createTable() {
        return "CREATE TABLE IF NOT EXISTS \"" + TABLE + "\" ("
                + "\"namespace\" VARCHAR(253) NOT NULL, \"name\" VARCHAR(253) NOT NULL, \"present\" BOOLEAN NOT NULL,"
                + " \"labels\" VARCHAR NOT NULL, \"view\" VARBINARY NOT NULL, \"state_ser_id\" INT NOT NULL,"
                + " \"state_ser_manifest\" VARCHAR(255) NOT NULL, \"state\" VARBINARY NOT NULL,"
                + " PRIMARY KEY (\"namespace\", \"name\"))";
    }

    @Override
    public CompletionStage<Long> offset() {
        return database.projectionOffset(PROJECTION);
    }

    @Override
    public CompletionStage<Map<VmId, VmState>> states(Collection<VmId> vms) {
        return database.runAsync(c -> {
            Map<VmId, VmState> states = new HashMap<>();
            try (PreparedStatement q = c.prepareStatement("SELECT \"state_ser_id\", \"state_ser_manifest\", \"state\""
                    + " FROM \"" + TABLE + "\" WHERE \"namespace\" = ? AND \"name\" = ?")) {
                for (VmId vm : vms) {
                    q.setString(1, vm.namespace());
                    q.setString(2, vm.name());
                    try (ResultSet rs = q.executeQuery()) {
                        if (rs.next()) {
                            states.put(vm, state(rs.getInt(1), rs.getString(2), rs.getBytes(3)));
                        }
                    }
                }
            }
            return states;
        });
    }

    @Override
    public CompletionStage<Done> update(Collection<Entry> entries, long offset) {
        return database.runAsync(c -> {
            boolean autoCommit = c.getAutoCommit();
            c.setAutoCommit(false);
            try {
                write(c, entries);
                try (PreparedStatement q = c.prepareStatement("MERGE INTO \"" + JournalDatabase.PROJECTION_OFFSETS
                        + "\" (\"projection\", \"event_offset\") KEY (\"projection\") VALUES (?, ?)")) {
                    q.setString(1, PROJECTION);
                    q.setLong(2, offset);
                    q.executeUpdate();
                }
                c.commit();
                return Done.getInstance();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(autoCommit);
            }
        });
    }

    private void write(Connection c, Collection<Entry> entries) throws SQLException {
        try (PreparedStatement q = c.prepareStatement("MERGE INTO \"" + TABLE + "\" (\"namespace\", \"name\","
                + " \"present\", \"labels\", \"view\", \"state_ser_id\", \"state_ser_manifest\", \"state\")"
                + " KEY (\"namespace\", \"name\") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            for (Entry entry : entries) {
                VmState state = entry.state();
                Serializer serializer = serialization.findSerializerFor(state);
                q.setString(1, state.id().namespace());
                q.setString(2, state.id().name());
                q.setBoolean(3, state.exists());
                q.setString(4, labels(state.labels()));
                q.setBytes(5, entry.view());
                q.setInt(6, serializer.identifier());
                q.setString(7, Serializers.manifestFor(serializer, state));
                q.setBytes(8, serializer.toBinary(state));
                q.addBatch();
            }
            q.executeBatch();
        }
    }

    @Override
    public CompletionStage<List<Listed>> page(String namespace, VmId after, int limit, LabelSelector selector) {
        return database.runAsync(c -> {
            List<Listed> page = new ArrayList<>();
            if (namespace != null) {
                read(c, "\"namespace\" = ? AND \"name\" > ?", namespace, after == null ? "" : after.name(), limit,
                        selector, page);
                return page;
            }
            // every namespace: the rest of the cursor's namespace, then the namespaces after it; each a range of
            // the key that H2 walks from its start (a comparison of both columns at once it walks from the
            // namespace's first row)
            if (after != null) {
                read(c, "\"namespace\" = ? AND \"name\" > ?", after.namespace(), after.name(), limit, selector, page);
            }
            if (page.size() < limit) {
                read(c, "\"namespace\" > ?", after == null ? "" : after.namespace(), null, limit, selector, page);
            }
            return page;
        });
    }

    /**
     * Adds to {@code into} the rows of {@code range} that {@code selector} selects, until it holds {@code limit}.
     * Labels are read only for a selector that asks about them; rows are read {@link #SCAN} at a time while a
     * selector may pass over many.
     */
    private static void read(Connection c, String range, String first, String second, int limit, LabelSelector selector,
                             List<Listed> into) throws SQLException {
        boolean everything = selector.selectsEverything();
        try (PreparedStatement q = c.prepareStatement("SELECT \"namespace\", \"name\", \"view\""
                + (everything ? "" : ", \"labels\"") + " FROM \"" + TABLE + "\" WHERE " + range
                + " AND \"present\" ORDER BY \"namespace\", \"name\"")) {
            int at = 1;
            q.setString(at++, first);
            if (second != null) {
                q.setString(at, second);
            }
            q.setFetchSize(everything ? Math.min(limit - into.size(), SCAN) : SCAN);
            q.setMaxRows(everything ? limit - into.size() : 0);
            try (ResultSet rs = q.executeQuery()) {
                while (into.size() < limit && rs.next()) {
                    if (everything || selector.matches(labels(rs.getString(4)))) {
                        into.add(new Listed(new VmId(rs.getString(1), rs.getString(2)), rs.getBytes(3)));
                    }
                }
            }
        }
    }

    private VmState state(int serializerId, String manifest, byte[] bytes) {
        return (VmState) serialization.deserialize(bytes, serializerId, manifest).get();
    }

    private static String labels(Map<String, String> labels) {
        try {
            return Json.mapper().writeValueAsString(labels);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> labels(String json) {
        try {
            return Json.mapper().readValue(json, LABELS);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("labels in " + TABLE + " are not a JSON object: " + json, e);
        }
    }
}
