package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands against a stand-in server that answers like the HTTP API contract. */
class ClientCommandsTest {
    FakeVireo vireo;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        vireo = new FakeVireo();
    }

    @AfterEach
    void stop() {
        vireo.close();
    }

    Cli vireo(String... args) {
        return vireo.cli(args);
    }

    Path manifest(String text) throws Exception {
        return Files.writeString(dir.resolve("vm.yaml"), text);
    }

    @Test
    void applyCreatesANewVmWithPost() throws Exception {
        Cli run = vireo("apply", "-f", manifest(ManifestReaderTest.YAML).toString());
        assertEquals(0, run.exit(), run.toString());
        assertEquals("virtualmachine/web-1 created\n", run.out());
        FakeVireo.Request post = vireo.requests("POST").get(0);
        assertEquals("/api/v1/namespaces/default/virtualmachines", post.path());
        assertEquals("128Mi", post.json().at("/spec/memory").asText());
        assertTrue(vireo.vms.containsKey("default/web-1"));
    }

    @Test
    void applyReplacesAnExistingVmWithPutAndItsCurrentResourceVersion() throws Exception {
        vireo.vm("web-1", "Running", "local").with("metadata").put("resourceVersion", "7");
        Cli run = vireo("apply", "-f", manifest(ManifestReaderTest.YAML.replace("128Mi", "256Mi")).toString());
        assertEquals(0, run.exit(), run.toString());
        assertEquals("virtualmachine/web-1 configured\n", run.out());
        FakeVireo.Request put = vireo.requests("PUT").get(0);
        assertEquals("/api/v1/namespaces/default/virtualmachines/web-1", put.path());
        assertEquals("7", put.json().at("/metadata/resourceVersion").asText());
        assertEquals("256Mi", vireo.vms.get("default/web-1").at("/spec/memory").asText());
    }

    @Test
    void applyReadsTheManifestFromStdin() {
        InputStream stdin = System.in;
        System.setIn(new ByteArrayInputStream(ManifestReaderTest.YAML.getBytes(StandardCharsets.UTF_8)));
        try {
            Cli run = vireo("apply", "-f", "-");
            assertEquals("virtualmachine/web-1 created\n", run.out(), run.toString());
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void applyUsesTheManifestsNamespaceButRefusesAContradictingDashN() throws Exception {
        Path file = manifest(ManifestReaderTest.YAML.replace("  name: web-1", "  name: web-1\n  namespace: prod"));
        vireo("apply", "-f", file.toString());
        assertEquals("/api/v1/namespaces/prod/virtualmachines", vireo.requests("POST").get(0).path());

        Cli run = vireo("apply", "-n", "dev", "-f", file.toString());
        assertEquals(1, run.exit());
        assertEquals("error: the manifest says namespace prod but -n says dev; drop one of them\n", run.err());
    }

    @Test
    void aRejectedManifestPrintsTheServersMessageAndFieldAndExitsOne() throws Exception {
        Cli run = vireo("apply", "-f", manifest(ManifestReaderTest.YAML.replace("128Mi", "lots")).toString());
        assertEquals(1, run.exit());
        assertEquals("error: spec.memory must be a Kubernetes quantity such as 128Mi, not lots (field: spec.memory)\n",
                run.err());
        assertEquals("", run.out());
    }

    @Test
    void anUnreachableServerSaysHowToStartVireoAndExitsTwo() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Cli run = Cli.run("get", "vms", "--server", "http://127.0.0.1:" + port);
        assertEquals(2, run.exit());
        assertTrue(run.err().startsWith("error: cannot reach Vireo at http://127.0.0.1:" + port + " (connection refused)"),
                run.err());
        assertTrue(run.err().contains("is Vireo running? start it with bin/vireo up"), run.err());
        assertFalse(run.err().contains("Exception"), run.err());
    }

    @Test
    void getVmsPrintsATable() {
        vireo.vm("web-1", "Running", "local");
        vireo.vm("db", "Stopped", null);
        Cli run = vireo("get", "vms");
        assertEquals(0, run.exit(), run.toString());
        String[] lines = run.out().split("\n");
        assertEquals("NAME    STATUS    NODE     INCARNATION   AGE", lines[0]);
        assertTrue(run.out().contains("web-1   Running   local    1             5m"), run.out());
        assertTrue(run.out().contains("db      Stopped   <none>   1             5m"), run.out());
    }

    @Test
    void getVmsFollowsTheListPageByPage() throws Exception {
        for (String name : new String[] {"e", "d", "c", "b", "a"}) {
            vireo.vm(name, "Stopped", null);
        }
        Cli run = vireo("get", "vms", "--chunk-size", "2");
        assertEquals(0, run.exit(), run.toString());
        assertEquals(List.of("NAME", "a", "b", "c", "d", "e"), run.out().lines().map(l -> l.split(" ")[0]).toList());
        List<String> queries = vireo.requests("GET").stream().map(FakeVireo.Request::query).toList();
        assertEquals(List.of("limit=2", "limit=2&continue=b", "limit=2&continue=d"), queries);
        JsonNode json = Formats.JSON.readTree(vireo("get", "vms", "--chunk-size", "2", "-o", "json").out());
        assertEquals(5, json.get("items").size(), "one list of every page's items");
        assertTrue(json.at("/metadata/continue").isMissingNode());
    }

    @Test
    void getVmPrintsOneVmAsJsonOrYaml() throws Exception {
        vireo.vm("web-1", "Running", "local");
        JsonNode json = Formats.JSON.readTree(vireo("get", "vm", "web-1", "-o", "json").out());
        assertEquals("Running", json.at("/status/printableStatus").asText());
        String yaml = vireo("get", "vm", "web-1", "-o", "yaml").out();
        assertTrue(yaml.startsWith("apiVersion: vireo.dev/v1\nkind: VirtualMachine\n"), yaml);
    }

    @Test
    void getOfAnUnknownVmSaysNotFound() {
        Cli run = vireo("get", "vm", "nope");
        assertEquals(1, run.exit());
        assertEquals("error: virtualmachine default/nope not found\n", run.err());
    }

    @Test
    void getOfSomethingElseSaysWhatItCanGet() {
        Cli run = vireo("get", "pods");
        assertEquals(1, run.exit());
        assertEquals("error: vireo can get vms or nodes, not 'pods': try vireo get vms\n", run.err());
    }

    @Test
    void actionsArePostsToTheVmsActionPath() {
        vireo.vm("web-1", "Running", "local");
        for (String action : new String[] {"start", "stop", "restart", "pause", "unpause"}) {
            assertEquals(0, vireo(action, "web-1").exit(), action);
        }
        assertEquals(
                java.util.List.of("start", "stop", "restart", "pause", "unpause").stream()
                        .map(a -> "/api/v1/namespaces/default/virtualmachines/web-1/" + a).toList(),
                vireo.requests("POST").stream().map(FakeVireo.Request::path).toList());
    }

    @Test
    void stopForceAsksForAHardStop() {
        vireo.vm("web-1", "Running", "local");
        Cli run = vireo("stop", "web-1", "--force");
        assertEquals("virtualmachine/web-1 stopping (forced)\n", run.out(), run.toString());
        assertEquals("force=true", vireo.requests("POST").get(0).query());
    }

    @Test
    void migrateSendsTheTargetNodeAndPrintsTheMigrationId() {
        vireo.vm("web-1", "Running", "a");
        Cli run = vireo("migrate", "web-1", "--target", "b");
        assertEquals("virtualmachine/web-1 migrating from a to b (migration mig-1)\n", run.out(), run.toString());
        assertEquals("b", vireo.requests("POST").get(0).json().get("targetNode").asText());

        vireo("migrate", "web-1");
        assertEquals("{}", vireo.requests("POST").get(1).body());
    }

    @Test
    void migrateWaitShowsProgressAndEndsWithTheDowntime() {
        vireo.vm("web-1", "Running", "a");
        vireo.migrationStates.add(0, FakeVireo.MAPPER.createObjectNode().put("phase", "Running").set("progress",
                FakeVireo.MAPPER.createObjectNode().put("percent", 40).put("iteration", 1).put("dataRemaining", 80L << 20)));
        Cli run = vireo("migrate", "web-1", "--wait", "--max-downtime", "200");
        assertEquals("""
                virtualmachine/web-1 migrating from a (migration mig-1)
                  Running: 40% transferred, iteration 1, 80 MiB remaining
                  Succeeded
                virtualmachine/web-1 runs on b: migrated in 900 ms, downtime 42 ms
                """, run.out(), run.toString());
        assertEquals(200, vireo.requests("POST").get(0).json().get("maxDowntimeMs").asInt());
    }

    @Test
    void drainSaysWhatItDidWithEachVmAndWaitsUntilTheNodeIsEmpty() {
        vireo.vm("web-1", "Running", "a");
        Cli run = vireo("drain", "a", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("""
                node/a cordoned
                  default/web-1: Migrating (migration mig-web-1)
                node/a drained: it runs no VM
                """, run.out(), run.toString());
    }

    @Test
    void drainFailsWhenAVmCouldNotBeMoved() {
        vireo.vm("stuck-1", "Paused", "a");
        Cli run = vireo("drain", "a");
        assertEquals(3, run.exit(), run.toString());
        assertTrue(run.out().contains("default/stuck-1: NotMoved: it is Paused"), run.toString());
        assertTrue(run.err().contains("1 VM(s) could not be moved off node a"), run.toString());
    }

    @Test
    void migrateWaitFailsWhenTheMigrationFails() {
        vireo.vm("web-1", "Running", "a");
        vireo.migrationStates.set(0, FakeVireo.MAPPER.createObjectNode().put("phase", "Failed").put("source", "a")
                .put("reason", "target host died"));
        Cli run = vireo("migrate", "web-1", "--wait");
        assertEquals(3, run.exit(), run.toString());
        assertTrue(run.err().contains("target host died; virtualmachine/web-1 still runs on a"), run.toString());
    }

    @Test
    void snapshotAndRestoreNameTheSnapshot() {
        vireo.vm("web-1", "Running", "a");
        assertEquals("virtualmachine/web-1 snapshot before-upgrade requested\n",
                vireo("snapshot", "web-1", "before-upgrade").out());
        assertEquals("virtualmachine/web-1 restoring snapshot before-upgrade\n",
                vireo("restore", "web-1", "before-upgrade").out());
        FakeVireo.Request snapshot = vireo.requests("POST").get(0);
        FakeVireo.Request restore = vireo.requests("POST").get(1);
        assertTrue(snapshot.path().endsWith("/web-1/snapshots"));
        assertEquals("before-upgrade", snapshot.json().get("name").asText());
        assertTrue(restore.path().endsWith("/web-1/restore"));
        assertEquals("before-upgrade", restore.json().get("snapshot").asText());
    }

    @Test
    void deletePrintsDeleted() {
        vireo.vm("web-1", "Running", "a");
        Cli run = vireo("delete", "web-1");
        assertEquals("virtualmachine/web-1 deleted\n", run.out());
        assertFalse(vireo.vms.containsKey("default/web-1"));
    }

    @Test
    void historyPrintsOneRowPerEvent() throws Exception {
        vireo.vm("web-1", "Running", "a");
        vireo.emit("default", "web-1", "VmCreated");
        vireo.emit("default", "web-1", "StartRequested");
        Cli run = vireo("history", "web-1");
        String[] lines = run.out().split("\n");
        assertTrue(lines[0].matches("SEQ +TIME +TYPE +PRINCIPAL +REQUEST +DATA"), lines[0]);
        assertTrue(lines[1].matches("1 +\\S+Z +VmCreated +anonymous +req-1 +<none>"), lines[1]);
        assertTrue(lines[2].matches("2 +\\S+Z +StartRequested +anonymous +req-2 +<none>"), lines[2]);

        JsonNode json = Formats.JSON.readTree(vireo("history", "web-1", "-o", "json").out());
        assertEquals(2, json.get("items").size());
    }

    @Test
    void stateAsksForTheInstantInUtcAndPrintsYaml() {
        vireo.vm("web-1", "Running", "a");
        Cli run = vireo("state", "web-1", "--at", "2025-01-31T13:00:00+01:00");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("at=2025-01-31T12%3A00%3A00Z", vireo.requests("GET").get(0).query());
        assertTrue(run.out().contains("\n  at: 2025-01-31T12:00:00Z"), run.out());
        assertTrue(run.out().startsWith("apiVersion: vireo.dev/v1"), run.out());
    }

    @Test
    void stateRefusesAnInstantItCannotReadWithoutAskingTheServer() {
        Cli run = vireo("state", "web-1", "--at", "yesterday");
        assertEquals(1, run.exit());
        assertEquals("error: --at yesterday is not an ISO-8601 instant; write it like 2025-01-31T12:00:00Z\n", run.err());
        assertTrue(vireo.requests.isEmpty());
    }

    @Test
    void eventsWithoutFollowReplaysEverythingAndEndsWhenTheStreamIsQuiet() {
        vireo.emit("default", "web-1", "VmCreated");
        vireo.emit("default", "db", "VmCreated");
        vireo.emit("default", "web-1", "StartRequested");
        long started = System.nanoTime();
        Cli run = vireo("events");
        long millis = (System.nanoTime() - started) / 1_000_000;
        String[] lines = run.out().split("\n");
        assertEquals(3, lines.length, run.toString());
        assertTrue(lines[0].matches("1 +\\S+Z +default/web-1 +VmCreated"), lines[0]);
        assertTrue(lines[2].matches("3 +\\S+Z +default/web-1 +StartRequested"), lines[2]);
        assertEquals("since=0&namespace=default", vireo.requests("GET").get(0).query());
        assertTrue(millis < 5000, "took " + millis + " ms");
    }

    @Test
    void eventsFiltersByNameAndTypeAndResumesAfterAnOffset() {
        vireo.emit("default", "web-1", "VmCreated");
        vireo.emit("default", "db", "VmCreated");
        vireo.emit("default", "web-1", "StartRequested");
        Cli run = vireo("events", "--name", "web-1", "--since", "1");
        assertEquals(1, run.out().split("\n").length, run.toString());
        assertTrue(run.out().contains("StartRequested"));
        assertEquals("since=1&namespace=default&name=web-1", vireo.requests("GET").get(0).query());

        Cli types = vireo("events", "--type", "VmCreated", "-o", "json");
        assertEquals(2, types.out().split("\n").length, types.toString());
    }

    @Test
    void consoleReadsWhatIsThereUnlessFollowing() {
        vireo.vm("web-1", "Running", "a");
        vireo.console = "Linux version 6.1\nlogin: ";
        Cli run = vireo("console", "web-1");
        assertEquals("Linux version 6.1\nlogin: ", run.out());
        assertEquals("follow=false", vireo.requests("GET").get(0).query());
        assertTrue(vireo.requests("GET").get(0).path().endsWith("/web-1/console"));
    }

    @Test
    void anErrorFromTheEventStreamIsReportedWithoutAStackTrace() {
        Cli run = Cli.run("events", "--server", vireo.url() + "/broken");
        assertEquals(1, run.exit(), run.toString());
        assertEquals("error: no route /broken/api/v1/events\n", run.err());
    }
}
