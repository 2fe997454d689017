package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A VM's whole life over the HTTP API, on libvirt's test hypervisor. */
class VirtualMachineLifecycleTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    private final Api api = vireo.api();

    @Test
    void vmCreatedFromJsonRunsAndHoldsAnAllocationOnItsNode() {
        String name = Manifests.uniqueName("json");
        Response created = api.create(Manifests.json(name, "Always"));
        assertEquals(201, created.status(), created::toString);
        assertEquals(name, created.at("/metadata/name").asText());
        assertEquals("default", created.at("/metadata/namespace").asText());
        assertFalse(created.at("/metadata/uid").asText().isEmpty());
        assertFalse(created.at("/metadata/creationTimestamp").asText().isEmpty());

        Response running = api.awaitPhase(name, "Running");
        assertEquals("local", running.at("/status/node").asText());
        assertTrue(running.incarnation() >= 1);
        assertEquals(created.at("/metadata/uid"), running.at("/metadata/uid"));

        JsonNode node = localNode();
        assertTrue(names(node.path("virtualMachines")).contains("default/" + name), node::toString);
        assertTrue(node.at("/allocated/cpus").asInt() >= 1, node::toString);
        assertTrue(node.at("/allocated/memoryBytes").asLong() >= 64L << 20, node::toString);
    }

    @Test
    void vmCreatedFromYamlRuns() {
        String name = Manifests.uniqueName("yaml");
        Response created = api.post(Api.vms("default"), Api.YAML_TYPE, Manifests.yaml(name, "Always"), null);
        assertEquals(201, created.status(), created::toString);
        assertEquals("e2e", created.at("/metadata/labels/suite").asText());
        assertEquals(5, created.at("/spec/terminationGracePeriodSeconds").asInt());
        api.awaitPhase(name, "Running");
    }

    @Test
    void pauseThenUnpauseReturnsToRunning() {
        String name = runningVm("pause");
        assertEquals(202, api.action(name, "pause").status());
        Response paused = api.awaitPhase(name, "Paused");
        assertEquals("True", condition(paused, "Paused").path("status").asText());

        assertEquals(202, api.action(name, "unpause").status());
        Response running = api.awaitPhase(name, "Running");
        assertEquals("False", condition(running, "Paused").path("status").asText());
        assertEquals(List.of("Paused", "Unpaused"), types(api.history(name)).subList(4, 6));
    }

    @Test
    void restartRunsTheVmAgainAsANewIncarnation() {
        String name = runningVm("restart");
        long before = api.get(Api.vm(name)).incarnation();

        assertEquals(202, api.action(name, "restart").status());
        Response after = Eventually.get("a new incarnation of " + name + " to run", java.time.Duration.ofSeconds(30),
                () -> api.get(Api.vm(name)), r -> "Running".equals(r.phase()) && r.incarnation() > before);

        assertEquals(before + 1, after.incarnation());
        List<String> types = types(api.history(name));
        List<String> sinceRestart = types.subList(types.indexOf("RestartRequested"), types.size());
        assertEquals(List.of("RestartRequested", "DomainStopped", "StartRequested", "Scheduled", "DomainStarted"),
                sinceRestart);
    }

    @Test
    void stopOnAlwaysSwitchesToHaltedAndFreesTheNode() {
        String name = runningVm("stop");
        Response accepted = api.action(name, "stop");
        assertEquals(202, accepted.status(), accepted::toString);
        assertEquals("Halted", accepted.at("/spec/runStrategy").asText());

        Response stopped = api.awaitPhase(name, "Stopped");
        assertEquals("Halted", stopped.at("/spec/runStrategy").asText());
        assertTrue(stopped.at("/status/node").isMissingNode() || stopped.at("/status/node").isNull(),
                stopped::toString);
        Eventually.until(name + " to leave the node", java.time.Duration.ofSeconds(10),
                () -> !names(localNode().path("virtualMachines")).contains("default/" + name));
    }

    @Test
    void startOnHaltedSwitchesToAlwaysAndRuns() {
        String name = Manifests.uniqueName("start");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        assertEquals("Stopped", api.get(Api.vm(name)).phase());

        Response accepted = api.action(name, "start");
        assertEquals(202, accepted.status(), accepted::toString);
        assertEquals("Always", accepted.at("/spec/runStrategy").asText());
        api.awaitPhase(name, "Running");
        assertTrue(names(localNode().path("virtualMachines")).contains("default/" + name));
    }

    @Test
    void historyIsKeptAfterDelete() {
        String name = runningVm("delete");
        Response deleted = api.delete(Api.vm(name));
        assertTrue(deleted.status() == 200 || deleted.status() == 202, deleted::toString);

        api.awaitGone(name);
        Response get = api.get(Api.vm(name));
        assertEquals(404, get.status());
        assertEquals("NotFound", get.at("/code").asText());

        List<JsonNode> history = api.history(name);
        assertEquals("VmCreated", history.get(0).path("type").asText());
        assertEquals("VmDeleted", history.get(history.size() - 1).path("type").asText());
        Eventually.until(name + " to leave the node", java.time.Duration.ofSeconds(10),
                () -> !names(localNode().path("virtualMachines")).contains("default/" + name));
    }

    @Test
    void recreatingUnderTheSameNameContinuesTheLog() {
        String name = Manifests.uniqueName("again");
        Response first = api.create(Manifests.json(name, "Halted"));
        assertEquals(201, first.status());
        assertEquals(200, api.delete(Api.vm(name)).status());
        int before = api.history(name).size();

        Response second = api.create(Manifests.json(name, "Always"));
        assertEquals(201, second.status(), second::toString);
        assertNotEquals(first.at("/metadata/uid").asText(), second.at("/metadata/uid").asText());
        api.awaitPhase(name, "Running");

        List<JsonNode> history = api.history(name);
        for (int i = 0; i < history.size(); i++) {
            assertEquals(i + 1, history.get(i).path("seqNr").asLong(), "seqNrs continue without a gap");
        }
        assertEquals("VmDeleted", history.get(before - 1).path("type").asText());
        assertEquals("VmCreated", history.get(before).path("type").asText());
        assertEquals(second.at("/metadata/uid").asText(), history.get(before).at("/data/uid").asText());
        assertEquals(first.at("/metadata/uid").asText(), history.get(0).at("/data/uid").asText());
    }

    @Test
    void listShowsOnlyTheVmsThatExistInTheNamespace() {
        String kept = Manifests.uniqueName("kept");
        String gone = Manifests.uniqueName("gone");
        String elsewhere = Manifests.uniqueName("elsewhere");
        assertEquals(201, api.create(Manifests.json(kept, "Halted")).status());
        assertEquals(201, api.create(Manifests.json(gone, "Halted")).status());
        assertEquals(201, api.create("other", Manifests.json(elsewhere, "Halted")).status());
        assertEquals(200, api.delete(Api.vm(gone)).status());

        Response list = api.get(Api.vms("default"));
        assertEquals(200, list.status());
        List<String> listed = new ArrayList<>();
        list.at("/items").forEach(vm -> listed.add(vm.at("/metadata/name").asText()));
        assertTrue(listed.contains(kept), listed::toString);
        assertFalse(listed.contains(gone), listed::toString);
        assertFalse(listed.contains(elsewhere), listed::toString);
        list.at("/items").forEach(vm -> assertNotNull(vm.at("/status/printableStatus").asText(null)));

        Response other = api.get(Api.vms("other"));
        assertEquals(List.of(elsewhere), StreamSupport.stream(other.at("/items").spliterator(), false)
                .map(vm -> vm.at("/metadata/name").asText()).toList());
    }

    @Test
    void everyHistoryEntrySaysWhoAskedForWhatAndWhen() {
        String name = Manifests.uniqueName("audit");
        String requestId = "e2e-" + name;
        Instant before = Instant.now();
        Response created = api.post(Api.vms("default"), Api.JSON_TYPE, Manifests.json(name, "Always"), requestId);
        assertEquals(201, created.status());
        assertEquals(requestId, created.requestId(), "the request id is echoed");
        api.awaitPhase(name, "Running");
        Response paused = api.action(name, "pause", requestId + "-pause");
        assertEquals(202, paused.status());
        api.awaitPhase(name, "Paused");

        List<JsonNode> history = api.history(name);
        for (JsonNode entry : history) {
            for (String field : List.of("seqNr", "timestamp", "type", "principal", "requestId", "data")) {
                assertTrue(entry.hasNonNull(field), field + " missing in " + entry);
            }
            Instant at = Instant.parse(entry.path("timestamp").asText());
            assertFalse(at.isBefore(before) || at.isAfter(Instant.now()), entry::toString);
        }
        JsonNode vmCreated = history.get(0);
        assertEquals("VmCreated", vmCreated.path("type").asText());
        assertEquals("admin", vmCreated.path("principal").asText());
        assertEquals(requestId, vmCreated.path("requestId").asText());
        assertEquals(created.at("/metadata/uid"), vmCreated.at("/data/uid"));
        assertEquals("StartRequested", history.get(1).path("type").asText());
        assertEquals(requestId, history.get(1).path("requestId").asText());
        JsonNode pause = history.get(history.size() - 1);
        assertEquals("Paused", pause.path("type").asText());
        assertEquals("admin", pause.path("principal").asText());
        assertEquals(requestId + "-pause", pause.path("requestId").asText());
    }

    @Test
    void aRequestWithoutAnIdGetsOneAndItsEventsCarryIt() {
        String name = Manifests.uniqueName("rid");
        Response created = api.create(Manifests.json(name, "Halted"));
        assertNotNull(created.requestId());
        assertEquals(created.requestId(), api.history(name).get(0).path("requestId").asText());
    }

    @Test
    void forcedStopEndsStopped() {
        String name = runningVm("force");
        assertEquals(202, api.action(name, "stop?force=true").status());
        api.awaitPhase(name, "Stopped");
        List<JsonNode> history = api.history(name);
        JsonNode stop = history.stream().filter(e -> e.path("type").asText().equals("StopRequested")).findFirst()
                .orElseThrow();
        assertTrue(stop.at("/data/force").asBoolean(), stop::toString);
        assertEquals("DomainStopped", history.get(history.size() - 1).path("type").asText());
    }

    @Test
    void restartOfAPausedVmRunsItAgain() {
        String name = runningVm("pause-restart");
        assertEquals(202, api.action(name, "pause").status());
        api.awaitPhase(name, "Paused");
        long before = api.get(Api.vm(name)).incarnation();
        assertEquals(202, api.action(name, "restart").status());
        Eventually.get(name + " to run again", java.time.Duration.ofSeconds(30), () -> api.get(Api.vm(name)),
                r -> "Running".equals(r.phase()) && r.incarnation() > before);
    }

    @Test
    void replacingTheRunStrategyWithHaltedStopsARunningVm() {
        String name = runningVm("put-halted");
        Response current = api.get(Api.vm(name));
        String manifest = Manifests.json(name, "Halted").replace("\"metadata\": {",
                "\"metadata\": {\"resourceVersion\": \"" + current.resourceVersion() + "\", ");
        Response replaced = api.put(Api.vm(name), Api.JSON_TYPE, manifest);
        assertEquals(200, replaced.status(), replaced::toString);
        api.awaitPhase(name, "Stopped");
        List<String> types = types(api.history(name));
        assertTrue(types.containsAll(List.of("RunStrategyChanged", "StopRequested", "DomainStopped")), types::toString);
    }

    @Test
    void aVmDeletedWhileRunningAndCreatedAgainIsANewIncarnation() {
        String name = runningVm("rerun-name");
        long first = api.get(Api.vm(name)).incarnation();
        assertEquals(202, api.delete(Api.vm(name)).status());
        api.awaitGone(name);

        assertEquals(201, api.create(Manifests.json(name, "Always")).status());
        Response again = api.awaitPhase(name, "Running");
        assertTrue(again.incarnation() > first, "incarnations only grow, across delete and re-create: " + again);
        assertEquals(2, types(api.history(name)).stream().filter("VmCreated"::equals).count());
    }

    @Test
    void theJournalIsWrittenToTheDataDirectory() {
        String name = Manifests.uniqueName("journal");
        assertEquals(201, api.create(Manifests.json(name, "Halted")).status());
        assertTrue(Files.isRegularFile(vireo.dataDir().resolve("journal.mv.db")),
                "the events must live under --data, not in some default directory");
    }

    private String runningVm(String prefix) {
        String name = Manifests.uniqueName(prefix);
        Response created = api.create(Manifests.json(name, "Always"));
        assertEquals(201, created.status(), created::toString);
        api.awaitPhase(name, "Running");
        return name;
    }

    private JsonNode localNode() {
        Response nodes = api.get("/api/v1/nodes");
        assertEquals(200, nodes.status());
        for (JsonNode node : nodes.at("/items")) {
            if (node.path("name").asText().equals("local")) {
                return node;
            }
        }
        throw new AssertionError("node local is not listed: " + nodes);
    }

    static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(n.asText()));
        return names;
    }

    static List<String> types(List<JsonNode> history) {
        return history.stream().map(e -> e.path("type").asText()).toList();
    }

    private static JsonNode condition(Response vm, String type) {
        for (JsonNode c : vm.at("/status/conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c;
            }
        }
        throw new AssertionError("no condition " + type + " in " + vm);
    }
}
