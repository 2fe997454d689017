package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Snapshots and restores over HTTP on libvirt's test hypervisor: 202 and then the snapshot's phase, each step
 * an event of the VM's history with the request's id, bad input refused with the field or the reason.
 */
class SnapshotApiTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private final Api api = vireo.api();

    private Response snapshot(String vm, String body, String requestId) {
        return api.post(Api.vm(vm) + "/snapshots", Api.JSON_TYPE, body, requestId);
    }

    private Response awaitSnapshot(String vm, String snap, String phase) {
        return Eventually.get("snapshot " + snap + " to be " + phase, Duration.ofSeconds(30),
                () -> api.get(Api.vm(vm) + "/snapshots/" + snap),
                r -> r.status() == 200 && phase.equals(r.at("/status/phase").asText()));
    }

    private List<String> types(String vm) {
        return api.history(vm).stream().map(e -> e.path("type").asText()).toList();
    }

    private JsonNode event(String vm, String type) {
        return api.history(vm).stream().filter(e -> type.equals(e.path("type").asText())).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("no " + type + " in " + types(vm)));
    }

    @Test
    void aRunningVmIsSnapshottedWithMemoryAndRestoredEachStepInItsHistory() {
        String name = Manifests.uniqueName("snap");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");

        Response taken = snapshot(name, "{\"name\": \"s1\", \"memory\": true}", "snap-req-1");
        assertEquals(202, taken.status(), taken::toString);
        Response s1 = awaitSnapshot(name, "s1", "Succeeded");
        assertTrue(s1.at("/memory").asBoolean(), s1::toString);
        assertFalse(s1.at("/status/node").asText().isEmpty(), s1::toString);
        assertFalse(s1.at("/status/completedAt").isMissingNode(), s1::toString);
        JsonNode requested = event(name, "SnapshotRequested");
        assertEquals("snap-req-1", requested.path("requestId").asText());
        assertFalse(requested.path("principal").asText().isEmpty());
        assertTrue(types(name).contains("SnapshotCompleted"), types(name)::toString);
        Instant afterSnapshot = Instant.now();

        Response list = api.get(Api.vm(name) + "/snapshots");
        assertEquals(1, list.at("/items").size(), list::toString);
        assertEquals("s1", api.get(Api.vm(name)).at("/status/snapshots/0/name").asText());

        Response restore = api.post(Api.vm(name) + "/restore", Api.JSON_TYPE, "{\"snapshot\": \"s1\"}", "restore-req-1");
        assertEquals(202, restore.status(), restore::toString);
        Eventually.get("the restore to complete", Duration.ofSeconds(30), () -> types(name),
                t -> t.contains("RestoreCompleted"));
        assertEquals("ResumeFromMemory", event(name, "RestoreRequested").at("/data/policy").asText());
        assertEquals("restore-req-1", event(name, "RestoreCompleted").path("requestId").asText());
        api.awaitPhase(name, "Running");

        // the state at an instant shows the snapshots as they were then
        String at = URLEncoder.encode(afterSnapshot.toString(), StandardCharsets.UTF_8);
        Response then = api.get(Api.vm(name) + "/state?at=" + at);
        assertEquals("Succeeded", then.at("/status/snapshots/0/status/phase").asText(), then::toString);

        Response deleted = api.delete(Api.vm(name) + "/snapshots/s1");
        assertEquals(200, deleted.status(), deleted::toString);
        assertEquals(404, api.get(Api.vm(name) + "/snapshots/s1").status());
        assertTrue(types(name).contains("SnapshotDeleted"));
    }

    @Test
    void badInputIsRefusedNamingTheFieldOrTheReason() {
        String name = Manifests.uniqueName("snapbad");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");

        Response invalid = snapshot(name, "{\"name\": \"Not_A_Name\"}", null);
        assertEquals(400, invalid.status(), invalid::toString);
        assertEquals("name", invalid.at("/field").asText());
        Response noName = snapshot(name, "{\"memory\": true}", null);
        assertEquals(400, noName.status());
        assertEquals("name", noName.at("/field").asText());
        Response badMemory = snapshot(name, "{\"name\": \"s1\", \"memory\": \"yes\"}", null);
        assertEquals("memory", badMemory.at("/field").asText());
        Response unknownField = snapshot(name, "{\"name\": \"s1\", \"quiesce\": true}", null);
        assertEquals("quiesce", unknownField.at("/field").asText());
        Response badRestore = api.post(Api.vm(name) + "/restore", Api.JSON_TYPE, "{\"snapshot\": \"\"}", null);
        assertEquals(400, badRestore.status());
        assertEquals("snapshot", badRestore.at("/field").asText());

        assertEquals(404, snapshot("no-such-vm-" + name, "{\"name\": \"s1\"}", null).status());
        assertEquals(404, api.get(Api.vm("no-such-vm-" + name) + "/snapshots").status());
        assertEquals(404, api.get(Api.vm(name) + "/snapshots/nope").status());
        assertEquals(404, api.post(Api.vm(name) + "/restore", Api.JSON_TYPE, "{\"snapshot\": \"nope\"}", null).status());
        assertEquals(404, api.delete(Api.vm(name) + "/snapshots/nope").status());

        assertEquals(202, snapshot(name, "{\"name\": \"s1\"}", null).status());
        awaitSnapshot(name, "s1", "Succeeded");
        Response duplicate = snapshot(name, "{\"name\": \"s1\"}", null);
        assertEquals(409, duplicate.status(), duplicate::toString);
        assertEquals("name", duplicate.at("/field").asText());

        assertTrue(api.delete(Api.vm(name)).ok());
        Response deleting = snapshot(name, "{\"name\": \"s2\"}", null);
        assertTrue(deleting.status() == 409 || deleting.status() == 404, deleting::toString);
    }

    @Test
    void theCliTakesListsRestoresAndDeletesSnapshotsAndWaits() {
        String name = Manifests.uniqueName("snapcli");
        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        api.awaitPhase(name, "Running");

        String[] taken = cli("snapshot", name, "s1", "--memory", "--wait");
        assertEquals("0", taken[0], taken[1] + taken[2]);
        assertTrue(taken[1].contains("snapshot s1 Succeeded"), taken[1]);
        assertTrue(taken[1].contains("memory included"), taken[1]);
        String[] listed = cli("snapshots", name);
        assertTrue(listed[1].lines().anyMatch(l -> l.startsWith("s1 ") && l.contains("Succeeded") && l.contains("yes")),
                listed[1]);
        String[] restored = cli("restore", name, "s1", "--wait");
        assertEquals("0", restored[0], restored[1] + restored[2]);
        assertTrue(restored[1].contains("restored to snapshot s1 (ResumeFromMemory"), restored[1]);
        String[] deleted = cli("delete", "snapshot", name, "s1");
        assertEquals("0", deleted[0], deleted[1] + deleted[2]);
        assertEquals(404, api.get(Api.vm(name) + "/snapshots/s1").status());
        String[] unknown = cli("restore", name, "s1");
        assertFalse(unknown[0].equals("0"), unknown[1]);
    }

    /** Runs the CLI against this Vireo: exit code, standard output, standard error. */
    private String[] cli(String... args) {
        java.util.List<String> all = new java.util.ArrayList<>(java.util.Arrays.asList(args));
        all.addAll(List.of("--server", "http://127.0.0.1:" + vireo.port(), "--token", api.token()));
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        picocli.CommandLine cli = dev.vireo.cli.VireoCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        cli.setErr(new java.io.PrintWriter(err, true));
        int exit = cli.execute(all.toArray(String[]::new));
        return new String[] {Integer.toString(exit), out.toString(), err.toString()};
    }
}
