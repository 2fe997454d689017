package dev.vireo.kube;

import static dev.vireo.kube.VireoWithKubernetes.eventually;
import static dev.vireo.kube.VireoWithKubernetes.vm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.testkit.Prerequisite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The real kubectl drives VirtualMachineSnapshot, VirtualMachineRestore and VirtualMachineMigration resources
 * against a whole Vireo in this JVM (libvirt's test hypervisor, one node): each starts its operation once, its
 * status follows the VM's history, refusals are Failed with the reason. Live migration itself needs two hypervisors
 * with real guests: {@code dev.vireo.e2e.KubectlLiveMigrationTest}.
 */
class KubectlOperationsTest {

    static final Duration PATIENCE = Duration.ofSeconds(30);

    static Path dir;
    static KubernetesApiMock kube;
    static Kubectl kubectl;
    static VireoWithKubernetes vireo;

    @BeforeAll
    static void start() throws Exception {
        Prerequisite.require(Files.isExecutable(Kubectl.BINARY), "no kubectl at " + Kubectl.BINARY);
        dir = Files.createTempDirectory("vireo-kubectl-ops-");
        kube = new KubernetesApiMock();
        kubectl = new Kubectl(kube.writeKubeconfig(dir), Files.createDirectories(dir.resolve("kube-cache")));
        kubectl.ok("apply", "-f", DeployManifestsTest.DEPLOY.resolve("crds").toString());
        vireo = VireoWithKubernetes.start(dir.resolve("data"), dir.resolve("kubeconfig"));
    }

    @AfterAll
    static void stop() throws Exception {
        if (vireo != null) {
            vireo.close();
        }
        if (kube != null) {
            kube.close();
        }
        if (dir != null) {
            VireoTestFiles.deleteRecursively(dir);
        }
    }

    static void runningVm(String name, String runStrategy) {
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachine
                metadata: {name: %s}
                spec: {runStrategy: %s, memory: 64Mi}
                """.formatted(name, runStrategy));
        String expected = runStrategy.equals("Always") ? "Running" : "Stopped";
        eventually(name + " to be " + expected, PATIENCE, () -> kubectl.field("vm", name, ".status.printableStatus"),
                expected::equals);
    }

    static String awaitPhase(String kind, String name, String phase) {
        return eventually(kind + " " + name + " to be " + phase, PATIENCE,
                () -> kubectl.field(kind, name, ".status.phase"), phase::equals);
    }

    static String uid(String kind, String name) {
        return kubectl.field(kind, name, ".metadata.uid");
    }

    static List<JsonNode> eventsOf(String vm, String requestId) {
        return vireo.history(vm).stream().filter(e -> e.path("requestId").asText().equals(requestId)).toList();
    }

    @Test
    void aSnapshotAndARestoreAppliedWithKubectlRunOnceAndTheirStatusFollows() throws Exception {
        runningVm("snappy", "Always");
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachineSnapshot
                metadata: {name: before-upgrade}
                spec: {vmName: snappy, memory: true}
                """);
        awaitPhase("vmsnap", "before-upgrade", "Succeeded");
        assertEquals("true", kubectl.field("vmsnap", "before-upgrade", ".status.readyToUse"));
        assertEquals("true", kubectl.field("vmsnap", "before-upgrade", ".status.memory"));
        assertEquals("local", kubectl.field("vmsnap", "before-upgrade", ".status.node"));
        assertTrue(kubectl.ok("get", "vmsnap").out().contains("before-upgrade"));
        // the snapshot is the VM's, named as the resource, taken under the resource's request id
        JsonNode http = vireo.send("GET", vm("snappy") + "/snapshots/before-upgrade", null).json();
        assertEquals("Succeeded", http.at("/status/phase").asText(), http.toString());
        String snapRequest = "kube-" + uid("vmsnap", "before-upgrade");
        List<JsonNode> snapEvents = eventsOf("snappy", snapRequest);
        assertEquals(List.of("SnapshotRequested", "SnapshotCompleted"),
                snapEvents.stream().map(e -> e.path("type").asText()).toList());
        assertEquals("kubernetes:kubectl", snapEvents.get(0).path("principal").asText());

        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachineRestore
                metadata: {name: rollback}
                spec: {vmName: snappy, snapshotName: before-upgrade}
                """);
        awaitPhase("vmrestore", "rollback", "Succeeded");
        assertEquals("ResumeFromMemory", kubectl.field("vmrestore", "rollback", ".status.policy"));
        assertTrue(kubectl.ok("get", "vmrestore").out().contains("rollback"));
        String restoreRequest = "kube-" + uid("vmrestore", "rollback");
        assertEquals(List.of("RestoreRequested", "RestoreCompleted"), eventsOf("snappy", restoreRequest).stream()
                .map(e -> e.path("type").asText()).toList());

        // refusals: a snapshot name taken, a snapshot that does not exist, a VM that does not exist, a bad name
        for (String[] refusal : new String[][] {
                {"VirtualMachineSnapshot", "vmsnap", "again", "{vmName: snappy, snapshotName: before-upgrade}", "before-upgrade"},
                {"VirtualMachineRestore", "vmrestore", "to-nothing", "{vmName: snappy, snapshotName: never-taken}", "never-taken"},
                {"VirtualMachineSnapshot", "vmsnap", "of-nobody", "{vmName: nobody}", "not found"},
                {"VirtualMachineSnapshot", "vmsnap", "bad-name", "{vmName: snappy, snapshotName: Not_A_Name}",
                        "InvalidSpec: spec.snapshotName"}}) {
            kubectl.apply("apiVersion: vireo.dev/v1\nkind: " + refusal[0] + "\nmetadata: {name: " + refusal[2]
                    + "}\nspec: " + refusal[3] + "\n");
            String message = awaitMessage(refusal[1], refusal[2]);
            assertTrue(message.contains(refusal[4]), refusal[2] + ": " + message);
        }

        // a new Vireo on the same journal starts nothing again
        Thread.sleep(1500);
        List<String> before = vireo.fromKubernetes("snappy");
        vireo.close();
        vireo = VireoWithKubernetes.start(dir.resolve("data"), dir.resolve("kubeconfig"));
        Thread.sleep(3000); // the informers' initial lists and a few resyncs
        assertEquals(before, vireo.fromKubernetes("snappy"), "nothing replayed");
        assertEquals("Succeeded", kubectl.field("vmsnap", "before-upgrade", ".status.phase"));

        // deleting the snapshot resource deletes the snapshot
        kubectl.ok("delete", "vmsnap", "before-upgrade", "--wait=false");
        eventually("before-upgrade to be gone", PATIENCE, () -> kubectl.run("get", "vmsnap", "before-upgrade"),
                r -> r.exit() != 0 && r.err().contains("NotFound"));
        assertEquals(404, vireo.send("GET", vm("snappy") + "/snapshots/before-upgrade", null).status());
        assertEquals(List.of("SnapshotDeleted"), eventsOf("snappy", snapRequest + "-delete").stream()
                .map(e -> e.path("type").asText()).toList());
        // a refused one took nothing: deleting it deletes nothing
        kubectl.ok("delete", "vmsnap", "again", "--wait=false");
        eventually("again to be gone", PATIENCE, () -> kubectl.run("get", "vmsnap", "again"),
                r -> r.exit() != 0 && r.err().contains("NotFound"));
        assertEquals(List.of(), eventsOf("snappy", "kube-" + "again"));
    }

    static String awaitMessage(String kind, String name) {
        awaitPhase(kind, name, "Failed");
        return kubectl.field(kind, name, ".status.message");
    }

    @Test
    void migrationsThatCannotBeShowFailedWithTheReason() {
        runningVm("mover", "Always");
        runningVm("sleeper", "Halted");
        for (String[] refusal : new String[][] {
                {"to-self", "mover", "targetNode: local", "already runs there"},
                {"to-nowhere", "mover", "targetNode: nowhere", "node nowhere is unknown"},
                {"not-running", "sleeper", "", "only a Running VM"},
                {"of-nobody", "nobody", "", "not found"},
                {"post-copy", "mover", "postCopy: true", "post-copy is not allowed in this cluster"},
                {"bad-bandwidth", "mover", "bandwidthMiBps: -1", "InvalidSpec: spec.bandwidthMiBps"}}) {
            migrate(refusal[0], refusal[1], refusal[2]);
            String message = awaitMessage("vmim", refusal[0]);
            assertTrue(message.contains(refusal[3]), refusal[0] + ": " + message);
        }
        // accepted, then failed: one node, the scheduler finds no other; the status mirrors the history
        migrate("no-room", "mover", "");
        String reason = awaitMessage("vmim", "no-room");
        String migrationId = kubectl.field("vmim", "no-room", ".status.migrationId");
        assertEquals("mig-" + uid("vmim", "no-room"), migrationId);
        assertEquals("local", kubectl.field("vmim", "no-room", ".status.sourceNode"));
        JsonNode http = vireo.send("GET", vm("mover") + "/migrations/" + migrationId, null).json();
        assertEquals("Failed", http.path("phase").asText(), http.toString());
        assertEquals(http.path("reason").asText(), reason);
        assertEquals("kubernetes:kubectl", http.path("requestedBy").asText());
        assertEquals("Running", kubectl.field("vm", "mover", ".status.printableStatus"));
    }

    static void migrate(String name, String vm, String more) {
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachineMigration
                metadata: {name: %s}
                spec: {vmName: %s%s}
                """.formatted(name, vm, more.isEmpty() ? "" : ", " + more));
    }
}
