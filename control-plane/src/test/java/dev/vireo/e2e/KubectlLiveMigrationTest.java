package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.kube.Kubectl;
import dev.vireo.kube.KubernetesApiMock;
import dev.vireo.testkit.Prerequisite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@code kubectl apply} of a VirtualMachineMigration moves a real TCG guest between two libvirt daemons of their own
 * ({@link GuestNodes}: two {@code vireo node}s, one control plane syncing with a Kubernetes API), and {@code kubectl
 * get vmim} follows it to Succeeded; a second one for the same VM at the same time is Failed with the reason; deleting
 * one under way cancels the migration and the guest stays where it was. The sampler watches both daemons throughout.
 */
class KubectlLiveMigrationTest {

    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration MIGRATION = Duration.ofSeconds(90);
    static final String NAME = Manifests.uniqueName("kmove");
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    static final Map<String, String> DAEMONS = Map.of("ka", "vm-ka-" + SUFFIX, "kb", "vm-kb-" + SUFFIX);
    static final List<String> ENDED = List.of("Succeeded", "Failed", "Cancelled");

    @Test
    void aMigrationResourceMovesARealGuestLiveAndItsDeleteCancelsOneUnderWay() throws Exception {
        Prerequisite.require(Files.isExecutable(Kubectl.BINARY), "no kubectl at " + Kubectl.BINARY);
        Path dir = Files.createTempDirectory("vireo-kubectl-migration-");
        try (KubernetesApiMock kube = new KubernetesApiMock()) {
            Path kubeconfig = kube.writeKubeconfig(dir);
            Kubectl kubectl = new Kubectl(kubeconfig, Files.createDirectories(dir.resolve("kube-cache")));
            kubectl.ok("apply", "-f", KubernetesApiMock.crds().toString());
            try (GuestNodes nodes = GuestNodes.start("kubectl live migration test", DAEMONS, Duration.ofMillis(50),
                    List.of("--kubeconfig", kubeconfig.toString()))) {
                run(kubectl, nodes);
            }
        } finally {
            RunningVireo.deleteRecursively(dir);
        }
    }

    private void run(Kubectl kubectl, GuestNodes nodes) {
        Api api = nodes.api;
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachine
                metadata: {name: %s}
                spec:
                  runStrategy: Always
                  memory: 128Mi
                  terminationGracePeriodSeconds: 5
                  evictionStrategy: LiveMigrate
                  boot: {kernel: vmlinuz, initrd: initrd.img, cmdline: "console=ttyS0 hostname=%s"}
                  disks: [{name: data, image: disk.qcow2}]
                """.formatted(NAME, NAME));
        api.awaitPhase(NAME, "Running", BOOT);
        QemuGuests.awaitConsole(api, NAME, RealGuestTest.BOOT_LINE + " hostname=" + NAME, BOOT);
        String uid = api.get(Api.vm(NAME)).at("/metadata/uid").asText();
        String source = api.get(Api.vm(NAME)).at("/status/node").asText();
        String target = source.equals("ka") ? "kb" : "ka";
        assertEquals(List.of(source), nodes.sampler.runningOn(uid));

        // two at once for the same VM: one migrates, the other is refused because the VM is already migrating
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachineMigration
                metadata: {name: move-1}
                spec: {vmName: %s, targetNode: %s}
                ---
                apiVersion: vireo.dev/v1
                kind: VirtualMachineMigration
                metadata: {name: move-2}
                spec: {vmName: %s, targetNode: %s}
                """.formatted(NAME, target, NAME, target));
        long requested = System.nanoTime();
        List<String> seen = new ArrayList<>();
        Instant deadline = Instant.now().plus(MIGRATION);
        while (!(ENDED.contains(phase(kubectl, "move-1")) && ENDED.contains(phase(kubectl, "move-2")))) {
            assertTrue(Instant.now().isBefore(deadline), "the migrations to end; seen " + seen);
            for (String name : List.of("move-1", "move-2")) {
                String shown = name + ":" + phase(kubectl, name);
                if (!seen.contains(shown)) {
                    seen.add(shown);
                }
            }
        }
        long wallMs = (System.nanoTime() - requested) / 1_000_000;
        seen.add("move-1:" + phase(kubectl, "move-1"));
        seen.add("move-2:" + phase(kubectl, "move-2"));
        String moved = phase(kubectl, "move-1").equals("Succeeded") ? "move-1" : "move-2";
        String refused = moved.equals("move-1") ? "move-2" : "move-1";
        assertEquals("Succeeded", phase(kubectl, moved), seen::toString);
        assertEquals("Failed", phase(kubectl, refused), seen::toString);
        assertTrue(kubectl.field("vmim", refused, ".status.message").contains("already migrating"),
                kubectl.field("vmim", refused, ".status"));
        assertTrue(seen.contains(moved + ":Running"), "kubectl saw the migration under way: " + seen);
        String moveUid = kubectl.field("vmim", moved, ".metadata.uid");
        assertEquals("mig-" + moveUid, kubectl.field("vmim", moved, ".status.migrationId"));
        assertEquals(source, kubectl.field("vmim", moved, ".status.sourceNode"));
        assertEquals(target, kubectl.field("vmim", moved, ".status.targetNode"));
        assertEquals("100", kubectl.field("vmim", moved, ".status.progress"));
        String downtime = kubectl.field("vmim", moved, ".status.downtimeMs");
        assertFalse(downtime.isEmpty(), kubectl.field("vmim", moved, ".status"));
        assertTrue(kubectl.run("get", "vmim").out().contains(moved));
        // the VM's own resource, the HTTP API and both daemons agree: it runs on the target, once
        Eventually.until("the VM's resource to show node " + target, Duration.ofSeconds(30),
                () -> kubectl.field("vm", NAME, ".status.node").equals(target));
        JsonNode migration = api.get(Api.vm(NAME) + "/migrations/mig-" + moveUid).json();
        assertEquals("Succeeded", migration.path("phase").asText(), migration.toString());
        assertEquals("kubernetes:kubectl", migration.path("requestedBy").asText());
        Eventually.until("the sampler to see the guest on " + target + " only", Duration.ofSeconds(5),
                () -> nodes.sampler.runningOn(uid).equals(List.of(target)));
        System.out.println("kubectl live migration: " + source + " -> " + target + " in " + wallMs
                + " ms (apply to Succeeded as kubectl saw it), downtime " + downtime + " ms, phases " + seen);

        // a slow migration back (1 MiB/s), its resource deleted while it runs: cancelled, the guest stays
        kubectl.apply("""
                apiVersion: vireo.dev/v1
                kind: VirtualMachineMigration
                metadata: {name: move-back}
                spec: {vmName: %s, targetNode: %s, bandwidthMiBps: 1}
                """.formatted(NAME, source));
        Eventually.until("move-back to be under way", MIGRATION, () -> phase(kubectl, "move-back").equals("Running")
                && !kubectl.field("vmim", "move-back", ".status.progress").isEmpty());
        String backId = kubectl.field("vmim", "move-back", ".status.migrationId");
        kubectl.ok("delete", "vmim", "move-back", "--wait=false");
        Eventually.until("move-back to be gone", Duration.ofSeconds(30),
                () -> kubectl.run("get", "vmim", "move-back").err().contains("NotFound"));
        JsonNode cancelled = Eventually.get("migration " + backId + " to end", MIGRATION,
                () -> api.get(Api.vm(NAME) + "/migrations/" + backId).json(),
                m -> ENDED.contains(m.path("phase").asText()));
        assertEquals("Cancelled", cancelled.path("phase").asText(), cancelled.toString());
        assertEquals(target, api.awaitPhase(NAME, "Running").at("/status/node").asText());
        assertEquals(List.of(target), nodes.sampler.runningOn(uid));
        nodes.noDoubles();
    }

    private static String phase(Kubectl kubectl, String name) {
        return kubectl.field("vmim", name, ".status.phase");
    }
}
