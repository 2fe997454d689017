package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.e2e.Api.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} of a whole Vireo loses nothing it acknowledged: after a restart on the same data directory
 * every acknowledged VM and event is there, and each VM comes back as its runStrategy says. The test
 * hypervisor's domains die with the process, so each VM that was placed finds its domain missing:
 * {@code NodeReports} calls that a crash (DomainCrashed), Always and RerunOnFailure restart after the
 * CrashLoopBackOff, Manual and Once end Failed, and VMs that were down stay as they were.
 */
class KillDurabilityTest {

    private static final Duration COMING_BACK = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    private String classPath;

    @org.junit.jupiter.api.BeforeEach
    void isolateClassPath() throws java.io.IOException {
        classPath = VireoProcess.isolatedClassPath(dir);
    }

    /** Every 2xx answer, by VM, with the request id it was asked under. */
    private final Map<String, List<Response>> acknowledged = new LinkedHashMap<>();
    private int requests;

    @Test
    void everyAcknowledgedVmAndEventSurvivesKillNine() throws Exception {
        Path data = dir.resolve("data");
        String always = Manifests.uniqueName("always");
        String paused = Manifests.uniqueName("paused");
        String rerun = Manifests.uniqueName("rerun");
        String manual = Manifests.uniqueName("manual");
        String once = Manifests.uniqueName("once");
        String halted = Manifests.uniqueName("halted");
        String stopped = Manifests.uniqueName("stopped");
        String deleted = Manifests.uniqueName("deleted");
        String late = Manifests.uniqueName("late");
        String lateStop = Manifests.uniqueName("late-stop");
        String lateRestart = Manifests.uniqueName("late-restart");
        String lateDelete = Manifests.uniqueName("late-delete");
        Map<String, List<JsonNode>> historyBeforeKill = new HashMap<>();

        VireoProcess first = VireoProcess.start(data, dir.resolve("first.log"), classPath);
        try {
            Api api = first.api();
            create(api, always, "Always");
            create(api, paused, "Always");
            create(api, rerun, "RerunOnFailure");
            create(api, manual, "Manual");
            act(api, manual, "start");
            create(api, once, "Once");
            create(api, halted, "Halted");
            create(api, stopped, "Always");
            create(api, deleted, "Halted");
            act(api, deleted, "delete");
            for (String name : List.of(lateStop, lateRestart, lateDelete)) {
                create(api, name, "Always");
            }
            for (String name : List.of(always, paused, rerun, manual, once, stopped, lateStop, lateRestart, lateDelete)) {
                api.awaitPhase(name, "Running");
            }
            act(api, paused, "pause");
            api.awaitPhase(paused, "Paused");
            act(api, stopped, "stop");
            api.awaitPhase(stopped, "Stopped");
            for (String name : List.of(always, paused, rerun, manual, once, halted, stopped, deleted)) {
                historyBeforeKill.put(name, api.history(name));
            }
            // acknowledged, but with their consequences still in flight when the process dies
            create(api, late, "Always");
            act(api, always, "pause");
            act(api, lateStop, "stop");
            act(api, lateRestart, "restart");
            act(api, lateDelete, "delete");

            first.kill();
        } finally {
            first.close();
        }

        try (VireoProcess second = VireoProcess.start(data, dir.resolve("second.log"), classPath)) {
            Api api = second.api();
            assertTrue(Files.isRegularFile(data.resolve("journal.mv.db")), "the journal is under --data");

            // placed and meant to run: the lost domain is a crash, and the runStrategy restarts it
            for (String name : List.of(always, paused, rerun)) {
                api.awaitPhase(name, "Running", COMING_BACK);
                List<String> after = typesAfter(api.history(name), historyBeforeKill.get(name).size());
                assertEquals("DomainCrashed", firstOf(after, name, "DomainCrashed", "StartRequested"), name + ": " + after);
                assertTrue(after.containsAll(List.of("StartRequested", "Scheduled", "DomainStarted")), name + ": " + after);
            }
            JsonNode crash = firstEvent(api.history(always), "DomainCrashed", historyBeforeKill.get(always).size());
            assertTrue(crash.at("/data/restart").asBoolean(), crash::toString);
            assertTrue(crash.at("/data/reason").asText().contains("not found"), crash::toString);

            // placed, but not to be run again after a failure
            for (String name : List.of(manual, once)) {
                Response failed = api.awaitPhase(name, "Failed", COMING_BACK);
                assertTrue(failed.at("/status/node").isMissingNode(), failed::toString);
                List<JsonNode> history = api.history(name);
                assertEquals(List.of("DomainCrashed"), typesAfter(history, historyBeforeKill.get(name).size()), name);
                assertTrue(!history.get(history.size() - 1).at("/data/restart").asBoolean());
            }

            // acknowledged just before the kill, and carried through after it
            api.awaitPhase(late, "Running", COMING_BACK);
            Response haltedNow = api.awaitPhase(lateStop, "Stopped", COMING_BACK);
            assertEquals("Halted", haltedNow.at("/spec/runStrategy").asText());
            api.awaitPhase(lateRestart, "Running", COMING_BACK);
            assertTrue(api.get(Api.vm(lateRestart)).incarnation() > 1, "restarted as a new incarnation");
            Eventually.get(lateDelete + " to be deleted", COMING_BACK, () -> api.get(Api.vm(lateDelete)),
                    r -> r.status() == 404);
            List<JsonNode> deletedLate = api.history(lateDelete);
            assertEquals("VmDeleted", deletedLate.get(deletedLate.size() - 1).path("type").asText());
            Eventually.until("the node to hold only the VMs that run", COMING_BACK, () -> VirtualMachineLifecycleTest
                    .names(api.get("/api/v1/nodes").at("/items/0/virtualMachines")).stream().sorted().toList()
                    .equals(List.of(always, late, lateRestart, paused, rerun).stream().map(n -> "default/" + n)
                            .sorted().toList()));

            // down before the kill: nothing happens to them
            assertEquals("Stopped", api.get(Api.vm(halted)).phase());
            assertEquals("Stopped", api.get(Api.vm(stopped)).phase());
            assertEquals("Halted", api.get(Api.vm(stopped)).at("/spec/runStrategy").asText());
            assertEquals(404, api.get(Api.vm(deleted)).status());
            for (String name : List.of(halted, stopped, deleted)) {
                assertEquals(historyBeforeKill.get(name), api.history(name), name + " got new events");
            }

            // every acknowledged event is there, unchanged, and every acknowledged request left its mark
            for (String name : historyBeforeKill.keySet()) {
                List<JsonNode> now = api.history(name);
                List<JsonNode> before = historyBeforeKill.get(name);
                assertEquals(before, now.subList(0, before.size()), name + ": the log before the kill is kept as it was");
            }
            acknowledged.forEach((name, answers) -> {
                List<JsonNode> history = api.history(name);
                for (Response answer : answers) {
                    assertTrue(history.stream().anyMatch(e -> answer.requestId().equals(e.path("requestId").asText())),
                            () -> name + ": no event of acknowledged request " + answer.requestId() + " " + answer);
                    if (answer.resourceVersion() != null) {
                        assertTrue(history.size() >= Long.parseLong(answer.resourceVersion()),
                                () -> name + " was acknowledged at version " + answer.resourceVersion()
                                        + " but has " + history.size() + " events");
                    }
                }
            });
            List<String> listed = new ArrayList<>();
            api.get(Api.vms("default")).at("/items").forEach(vm -> listed.add(vm.at("/metadata/name").asText()));
            assertEquals(List.of(always, halted, late, lateRestart, lateStop, manual, once, paused, rerun, stopped)
                    .stream().sorted().toList(), listed);
        }
    }

    @Test
    void sigtermStopsVireoCleanlyAndItStartsAgainOnTheSameData() throws Exception {
        Path data = dir.resolve("data");
        String name = Manifests.uniqueName("term");
        List<JsonNode> before;
        try (VireoProcess first = VireoProcess.start(data, dir.resolve("first.log"), classPath)) {
            create(first.api(), name, "Halted");
            before = first.api().history(name);
            int exit = first.terminate(Duration.ofSeconds(30));
            assertTrue(exit == 0 || exit == 143, "exit code " + exit + ":\n" + first.tail());
        }
        try (VireoProcess second = VireoProcess.start(data, dir.resolve("second.log"), classPath)) {
            assertEquals(before, second.api().history(name));
            assertEquals("Stopped", second.api().get(Api.vm(name)).phase());
        }
    }

    private void create(Api api, String name, String runStrategy) {
        String requestId = "kill-" + (++requests);
        Response r = api.post(Api.vms("default"), Api.JSON_TYPE, Manifests.json(name, runStrategy), requestId);
        assertEquals(201, r.status(), r::toString);
        acknowledged.computeIfAbsent(name, n -> new ArrayList<>()).add(r);
    }

    private void act(Api api, String name, String action) {
        String requestId = "kill-" + (++requests);
        Response r = action.equals("delete") ? api.deleteWithId(Api.vm(name), requestId)
                : api.action(name, action, requestId);
        assertTrue(r.ok(), r::toString);
        assertEquals(requestId, r.requestId());
        acknowledged.computeIfAbsent(name, n -> new ArrayList<>()).add(r);
    }

    private static List<String> typesAfter(List<JsonNode> history, int from) {
        return history.subList(from, history.size()).stream().map(e -> e.path("type").asText()).toList();
    }

    /** Which of {@code a} and {@code b} comes first in {@code types}. */
    private static String firstOf(List<String> types, String name, String a, String b) {
        int ia = types.indexOf(a);
        int ib = types.indexOf(b);
        assertTrue(ia >= 0, name + " has no " + a + ": " + types);
        return ib < 0 || ia < ib ? a : b;
    }

    private static JsonNode firstEvent(List<JsonNode> history, String type, int from) {
        return history.subList(from, history.size()).stream().filter(e -> e.path("type").asText().equals(type))
                .findFirst().orElseThrow();
    }
}
