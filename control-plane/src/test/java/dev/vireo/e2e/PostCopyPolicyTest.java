package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The post-copy fields of a migrate request ({@code postCopy}, {@code postCopyAfterIterations}) over the cluster's
 * defaults ({@code vireo.migration.post-copy*}), in a cluster that allows post-copy and makes it its default: 400
 * naming the field on bad values; the request's fields, else the cluster's, recorded in the migration's policy. On
 * the test hypervisor (one node) the migration then fails for want of a target, which is not what is checked here.
 * {@link PostCopyRefusedTest}: a cluster that does not allow it.
 */
class PostCopyPolicyTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo().with("vireo.migration.post-copy-allowed", true)
            .with("vireo.migration.post-copy", true).with("vireo.migration.post-copy-after-iterations", 5);

    @Test
    void badValuesAreRefusedWith400NamingTheField() {
        Api api = vireo.api();
        String name = running(api, "pc-bad");
        for (String[] bad : new String[][]{{"{\"postCopy\": \"yes\"}", "postCopy"},
                {"{\"postCopy\": 1}", "postCopy"}, {"{\"postCopyAfterIterations\": 0}", "postCopyAfterIterations"},
                {"{\"postCopyAfterIterations\": 2.5}", "postCopyAfterIterations"},
                {"{\"postCopyAfterIterations\": \"3\"}", "postCopyAfterIterations"}}) {
            Api.Response r = migrate(api, name, bad[0]);
            assertEquals(400, r.status(), bad[0] + ": " + r);
            assertEquals(bad[1], r.at("/field").asText(), bad[0] + ": " + r);
        }
        assertFalse(QemuGuests.eventTypes(api, name).contains("MigrationRequested"), "nothing was recorded");
    }

    @Test
    void aRequestGetsTheClusterDefaultsUnlessItSaysOtherwise() {
        Api api = vireo.api();
        String name = running(api, "pc-default");
        JsonNode byDefault = recordedPolicy(api, name, migrate(api, name, "{}"));
        assertTrue(byDefault.path("postCopy").asBoolean(), byDefault::toString);
        assertEquals(5, byDefault.path("postCopyAfterIterations").asLong(), byDefault::toString);
        api.awaitPhase(name, "Running"); // the test hypervisor's single node: no target, it failed
        JsonNode asked = recordedPolicy(api, name, migrate(api, name, "{\"postCopyAfterIterations\": 2}"));
        assertTrue(asked.path("postCopy").asBoolean(), asked::toString);
        assertEquals(2, asked.path("postCopyAfterIterations").asLong(), asked::toString);
        api.awaitPhase(name, "Running");
        JsonNode off = recordedPolicy(api, name, migrate(api, name, "{\"postCopy\": false}"));
        assertFalse(off.path("postCopy").asBoolean(), off::toString);
    }

    @Test
    void aDrainMigratesWithTheClusterDefaults() {
        Api api = vireo.api();
        String name = Manifests.uniqueName("pc-drain");
        assertEquals(201, api.create(Manifests.json(name, "Always").replace("\"runStrategy\"",
                "\"evictionStrategy\": \"LiveMigrate\", \"runStrategy\"")).status());
        api.awaitPhase(name, "Running");
        String node = api.get(Api.vm(name)).at("/status/node").asText();
        try {
            Api.Response drained = api.post("/api/v1/nodes/" + node + "/drain", Api.JSON_TYPE, "", null);
            assertEquals(202, drained.status(), drained::toString);
            JsonNode eviction = null;
            for (JsonNode item : drained.at("/items")) {
                if (item.path("vm").asText().endsWith("/" + name)) {
                    eviction = item;
                }
            }
            assertTrue(eviction != null && "Migrating".equals(eviction.path("action").asText()), drained::toString);
            String migration = Api.vm(name) + "/migrations/" + eviction.path("migrationId").asText();
            JsonNode policy = Eventually.get("the drain's migration to be listed", Duration.ofSeconds(20),
                    () -> api.get(migration),
                    r -> r.status() == 200).at("/policy");
            assertTrue(policy.path("postCopy").asBoolean(), policy::toString);
            assertEquals(5, policy.path("postCopyAfterIterations").asLong(), policy::toString);
        } finally {
            assertEquals(200, api.post("/api/v1/nodes/" + node + "/uncordon", Api.JSON_TYPE, "", null).status());
        }
    }

    static String running(Api api, String prefix) {
        String name = Manifests.uniqueName(prefix);
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");
        return name;
    }

    static Api.Response migrate(Api api, String name, String body) {
        return api.post(Api.vm(name) + "/migrate", Api.JSON_TYPE, body, null);
    }

    /** The policy the migration recorded (its MigrationRequested), as GET …/migrations/{id} shows it. */
    static JsonNode recordedPolicy(Api api, String name, Api.Response accepted) {
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        return Eventually.get("migration " + id + " to be listed", Duration.ofSeconds(20),
                () -> api.get(Api.vm(name) + "/migrations/" + id), r -> r.status() == 200).at("/policy");
    }
}
