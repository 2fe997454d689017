package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad request gets the right status and {@code {"code","message","field"}}, and changes nothing: the
 * VM it names keeps its resourceVersion and history, or never comes to exist.
 */
class BadInputTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    /** A VM that no test changes successfully: Halted, so nothing but a request could add to its log. */
    private static final String STEADY = Manifests.uniqueName("steady");

    private final Api api = vireo.api();

    @BeforeAll
    static void createSteadyVm() {
        assertEquals(201, vireo.api().create(Manifests.json(STEADY, "Halted")).status());
    }

    static Stream<Arguments> invalidManifests() {
        String name = "NAME";
        return Stream.of(
                Arguments.of("name not a DNS-1123 label", Api.JSON_TYPE,
                        Manifests.json("Web_1", "Always"), "metadata.name", "Web_1"),
                Arguments.of("name too long", Api.JSON_TYPE,
                        Manifests.json("a".repeat(64), "Always"), "metadata.name", "a".repeat(64)),
                Arguments.of("memory unparsable", Api.JSON_TYPE,
                        Manifests.json(name, "Always", "lots"), "spec.memory", name),
                Arguments.of("cores < 1", Api.JSON_TYPE,
                        Manifests.json(name, "Always").replace("\"cores\": 1", "\"cores\": 0"), "spec.cpu.cores", name),
                Arguments.of("unknown runStrategy", Api.JSON_TYPE,
                        Manifests.json(name, "Sometimes"), "spec.runStrategy", name),
                Arguments.of("unknown field in spec", Api.JSON_TYPE,
                        Manifests.json(name, "Always").replace("\"memory\"", "\"colour\": \"red\", \"memory\""),
                        "spec.colour", name),
                Arguments.of("unknown field in metadata", Api.JSON_TYPE,
                        Manifests.json(name, "Always").replace("\"labels\"", "\"owner\": \"me\", \"labels\""),
                        "metadata.owner", name),
                Arguments.of("namespace mismatch", Api.JSON_TYPE,
                        Manifests.json(name, "Always").replace("\"metadata\": {", "\"metadata\": {\"namespace\": \"other\", "),
                        "metadata.namespace", name),
                Arguments.of("wrong kind", Api.JSON_TYPE,
                        Manifests.json(name, "Always").replace("\"VirtualMachine\"", "\"Pod\""), "kind", name),
                Arguments.of("unknown field in YAML", Api.YAML_TYPE,
                        Manifests.yaml(name, "Always").replace("  memory: 64Mi", "  memory: 64Mi\n  gpus: 2"),
                        "spec.gpus", name),
                Arguments.of("unknown runStrategy in YAML", Api.YAML_TYPE,
                        Manifests.yaml(name, "Never"), "spec.runStrategy", name));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidManifests")
    void invalidManifestIsRejectedNamingTheFieldAndCreatesNothing(String why, String contentType, String template,
                                                                   String field, String nameInManifest) {
        String name = Manifests.uniqueName("bad");
        String vmName = nameInManifest.equals("NAME") ? name : nameInManifest;
        Response r = api.post(Api.vms("default"), contentType, template.replace("NAME", name), null);
        assertError(r, 400, "Invalid", field);
        assertNothingExists(vmName);
    }

    @ParameterizedTest(name = "body [{0}]")
    @ValueSource(strings = {"", "{\"apiVersion\": ", "[1, 2, 3]", "just some words", "a: [unclosed"})
    void bodyThatIsNoManifestIsRejected(String body) {
        List<String> before = listedNames();
        for (String type : List.of(Api.JSON_TYPE, Api.YAML_TYPE)) {
            Response r = api.post(Api.vms("default"), type, body, null);
            assertError(r, 400, "Invalid", null);
        }
        assertEquals(before, listedNames());
    }

    @Test
    void imagesFromOutsideTheImagesDirectoryAreRejected() throws java.io.IOException {
        java.nio.file.Path images = java.nio.file.Files.createDirectories(vireo.dataDir().resolve("images"));
        java.nio.file.Path kernel = java.nio.file.Files.writeString(images.resolve("vmlinuz"), "not really a kernel");
        java.nio.file.Path escape = images.resolve("escape");
        java.nio.file.Files.deleteIfExists(escape);
        java.nio.file.Files.createSymbolicLink(escape, java.nio.file.Path.of("/etc/passwd"));

        for (String[] bad : new String[][] {
                {"disks", "/etc/passwd", "spec.disks[0].image"},
                {"disks", "../journal.mv.db", "spec.disks[0].image"},
                {"disks", escape.toString(), "spec.disks[0].image"},
                {"disks", images.resolve("missing.qcow2").toString(), "spec.disks[0].image"},
                {"boot", "/etc/passwd", "spec.boot.kernel"},
                {"boot", "escape", "spec.boot.kernel"}}) {
            String name = Manifests.uniqueName("image");
            Response r = api.create(withImage(name, bad[0], bad[1]));
            assertError(r, 400, "Invalid", bad[2]);
            assertNothingExists(name);
        }
        // the node reports what its images directory holds (about every second)
        Eventually.get("the node to hold vmlinuz", java.time.Duration.ofSeconds(30), () -> api.get("/api/v1/nodes"),
                r -> r.at("/items/0/images").toString().contains("\"vmlinuz\""));
        String name = Manifests.uniqueName("image");
        Response ok = api.create(withImage(name, "boot", kernel.toString()));
        assertEquals(201, ok.status(), ok::toString);
        Response relative = api.create(withImage(Manifests.uniqueName("image"), "disks", "vmlinuz"));
        assertEquals(201, relative.status(), relative::toString);

        Snapshot before = Snapshot.of(api, name);
        Response replaced = api.put(Api.vm(name), Api.JSON_TYPE, withImage(name, "disks", "/etc/shadow"));
        assertError(replaced, 400, "Invalid", "spec.disks[0].image");
        assertEquals(before, Snapshot.of(api, name));
    }

    @Test
    void theConsoleOfAnUnknownVmIs404AndOnTheTestDriverItIs409() {
        assertError(api.get(Api.vm("no-such-vm") + "/console?follow=false"), 404, "NotFound", null);
        Response r = api.get(Api.vm(STEADY) + "/console");
        assertError(r, 409, "NoConsole", null);
        assertTrue(r.at("/message").asText().contains("qemu:///system"), r::toString);
        assertError(api.get(Api.vm(STEADY) + "/console?follow=maybe"), 400, "Invalid", "follow");
    }

    private static String withImage(String name, String where, String path) {
        String json = Manifests.json(name, "Halted");
        return where.equals("boot")
                ? json.replace("\"memory\"", "\"boot\": {\"kernel\": \"" + path + "\"}, \"memory\"")
                : json.replace("\"memory\"", "\"disks\": [{\"name\": \"root\", \"image\": \"" + path + "\"}], \"memory\"");
    }

    @Test
    void invalidReplacementChangesNothing() {
        Snapshot before = Snapshot.of(api, STEADY);
        Response r = api.put(Api.vm(STEADY), Api.JSON_TYPE, Manifests.json(STEADY, "Halted", "lots"));
        assertError(r, 400, "Invalid", "spec.memory");
        Response renamed = api.put(Api.vm(STEADY), Api.JSON_TYPE, Manifests.json(STEADY + "x", "Halted"));
        assertError(renamed, 400, "Invalid", "metadata.name");
        assertEquals(before, Snapshot.of(api, STEADY));
    }

    @Test
    void unknownVmIsNotFoundForEveryOperation() {
        String ghost = Manifests.uniqueName("ghost");
        assertError(api.get(Api.vm(ghost)), 404, "NotFound", null);
        for (String action : List.of("start", "stop", "restart", "pause", "unpause")) {
            assertError(api.action(ghost, action), 404, "NotFound", null);
        }
        assertError(api.put(Api.vm(ghost), Api.JSON_TYPE, Manifests.json(ghost, "Always")), 404, "NotFound", null);
        assertError(api.delete(Api.vm(ghost)), 404, "NotFound", null);
        assertError(api.get(Api.vm(ghost) + "/history"), 404, "NotFound", null);
        assertNothingExists(ghost);
    }

    @Test
    void pauseStoppedVmIsRejectedWithReason() {
        Snapshot before = Snapshot.of(api, STEADY);
        Response r = api.action(STEADY, "pause");
        assertError(r, 409, "IllegalTransition", null);
        assertTrue(r.at("/message").asText().contains("Stopped"), r::toString);
        assertError(api.action(STEADY, "restart"), 409, "IllegalTransition", null);
        assertEquals(before, Snapshot.of(api, STEADY));
    }

    @Test
    void stopWithAForceThatIsNoBooleanIsRejected() {
        String name = Manifests.uniqueName("force");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");
        Snapshot before = Snapshot.of(api, name);
        assertError(api.action(name, "stop?force=yes"), 400, "Invalid", "force");
        assertEquals(before, Snapshot.of(api, name));
    }

    @Test
    void unknownActionIsNotFound() {
        Snapshot before = Snapshot.of(api, STEADY);
        assertError(api.action(STEADY, "explode"), 404, "NotFound", null);
        assertEquals(before, Snapshot.of(api, STEADY));
    }

    @Test
    void duplicateCreateIsAConflict() {
        Snapshot before = Snapshot.of(api, STEADY);
        Response r = api.create(Manifests.json(STEADY, "Always"));
        assertError(r, 409, "AlreadyExists", "metadata.name");
        assertEquals(before, Snapshot.of(api, STEADY));
    }

    @Test
    void replaceWithStaleResourceVersionIsAConflictAndWithTheCurrentOneApplies() {
        String name = Manifests.uniqueName("put");
        Response created = api.create(Manifests.json(name, "Halted"));
        assertEquals(201, created.status());
        String current = created.resourceVersion();
        String stale = Long.toString(Long.parseLong(current) - 1);

        Snapshot before = Snapshot.of(api, name);
        Response conflict = api.put(Api.vm(name), Api.JSON_TYPE, withResourceVersion(name, "128Mi", stale));
        assertError(conflict, 409, "StaleResourceVersion", "metadata.resourceVersion");
        assertEquals(before, Snapshot.of(api, name));

        Response replaced = api.put(Api.vm(name), Api.JSON_TYPE, withResourceVersion(name, "128Mi", current));
        assertEquals(200, replaced.status(), replaced::toString);
        assertEquals("128Mi", replaced.at("/spec/memory").asText());
        assertEquals(2, replaced.at("/metadata/generation").asLong());
        assertNotEquals(current, replaced.resourceVersion());
        assertEquals("128Mi", api.get(Api.vm(name)).at("/spec/memory").asText());
        List<JsonNode> history = api.history(name);
        assertEquals("SpecUpdated", history.get(history.size() - 1).path("type").asText());

        Response again = api.put(Api.vm(name), Api.JSON_TYPE, withResourceVersion(name, "256Mi", current));
        assertError(again, 409, "StaleResourceVersion", "metadata.resourceVersion");
        assertEquals("128Mi", api.get(Api.vm(name)).at("/spec/memory").asText());
    }

    @Test
    void badEventOffsetIsRejected() {
        Response r = api.get("/api/v1/events?since=yesterday");
        assertError(r, 400, "Invalid", "since");
    }

    /** What a failed request must leave as it was. */
    record Snapshot(String resourceVersion, JsonNode spec, List<JsonNode> history) {
        static Snapshot of(Api api, String name) {
            Response vm = api.get(Api.vm(name));
            assertEquals(200, vm.status(), vm::toString);
            return new Snapshot(vm.resourceVersion(), vm.at("/spec"), api.history(name));
        }
    }

    private static String withResourceVersion(String name, String memory, String resourceVersion) {
        return Manifests.json(name, "Halted", memory)
                .replace("\"metadata\": {", "\"metadata\": {\"resourceVersion\": \"" + resourceVersion + "\", ");
    }

    private void assertNothingExists(String name) {
        // 400 for a name no VM can have (ClientInputTest), 404 for one no VM has
        int expected = name.matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?") ? 404 : 400;
        assertEquals(expected, api.get(Api.vm(name)).status(), name + " must not exist");
        assertEquals(expected, api.get(Api.vm(name) + "/history").status(), name + " must have no history");
        assertFalse(listedNames().contains(name));
    }

    private List<String> listedNames() {
        Response list = api.get(Api.vms("default"));
        assertEquals(200, list.status(), list::toString);
        List<String> names = new java.util.ArrayList<>();
        list.at("/items").forEach(vm -> names.add(vm.at("/metadata/name").asText()));
        return names;
    }

    /** The error shape of DESIGN.md: code, a message that says what to do, and the field (null when none). */
    private static void assertError(Response r, int status, String code, String field) {
        assertEquals(status, r.status(), r::toString);
        assertEquals(code, r.at("/code").asText(), r::toString);
        assertTrue(r.at("/message").asText().length() > 10, r::toString);
        assertTrue(r.json().has("field"), "the field is always there: " + r);
        if (field != null) {
            assertEquals(field, r.at("/field").asText(), r::toString);
        }
    }
}
