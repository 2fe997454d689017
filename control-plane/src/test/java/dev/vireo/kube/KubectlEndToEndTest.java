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
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The real kubectl against a mock API server that answers its discovery, and a whole Vireo in this JVM:
 * apply the CRDs and a VM, watch it run, patch it to Halted, restart Vireo, patch it back, delete it.
 */
class KubectlEndToEndTest {

    static final Path KUBECTL = Kubectl.BINARY;
    static final Duration PATIENCE = Duration.ofSeconds(30);

    private Path kubeconfig;
    private Kubectl kubectl;

    Kubectl.Run kubectl(String... args) {
        return kubectl.run(args);
    }

    Kubectl.Run ok(String... args) {
        return kubectl.ok(args);
    }

    String printableStatus(String name) {
        return kubectl("get", "vm", name, "-o", "jsonpath={.status.printableStatus}").out().strip();
    }

    @Test
    void kubectlDrivesAVmThroughItsLifeAcrossARestartOfVireo() throws Exception {
        Prerequisite.require(Files.isExecutable(KUBECTL), "no kubectl at " + KUBECTL);
        Path dir = Files.createTempDirectory("vireo-kubectl-");
        Path cacheDir = Files.createDirectories(dir.resolve("kube-cache"));
        try (KubernetesApiMock kube = new KubernetesApiMock()) {
            kubeconfig = kube.writeKubeconfig(dir);
            kubectl = new Kubectl(kubeconfig, cacheDir);
            Kubectl.Run crds = ok("apply", "-f", DeployManifestsTest.DEPLOY.resolve("crds").toString());
            assertTrue(crds.out().contains("virtualmachines.vireo.dev created"), crds.toString());
            Path manifest = dir.resolve("vm.yaml");
            Files.writeString(manifest, """
                    apiVersion: vireo.dev/v1
                    kind: VirtualMachine
                    metadata:
                      name: kubectl-1
                      labels: {app: web}
                    spec:
                      runStrategy: Always
                      cpu: {cores: 1}
                      memory: 64Mi
                    """);
            Path data = dir.resolve("data");
            VireoWithKubernetes vireo = VireoWithKubernetes.start(data, kubeconfig);
            int eventsBeforeRestart;
            long offsetBeforeRestart;
            List<String> appliedBeforeRestart;
            try {
                assertTrue(ok("apply", "-f", manifest.toString()).out().contains("created"));
                eventually("kubectl to show kubectl-1 Running", PATIENCE, () -> printableStatus("kubectl-1"),
                        "Running"::equals);
                assertTrue(ok("get", "vm").out().contains("kubectl-1"));
                // the CRD's printer columns, evaluated by kubectl's own JSONPath on the live CR (the mock
                // renders no server-side tables, so `kubectl get vm` itself shows only NAME and AGE)
                List<String> shown = new ArrayList<>();
                for (var column : CrdSchemaTest.v1().getAdditionalPrinterColumns()) {
                    if (!column.getName().equals("Age")) {
                        shown.add(ok("get", "vm", "kubectl-1", "-o", "jsonpath={" + column.getJsonPath() + "}").out().strip());
                    }
                }
                assertEquals(List.of("Running", "local", "True"), shown);

                ok("patch", "vm", "kubectl-1", "--type=merge", "-p", "{\"spec\":{\"runStrategy\":\"Halted\"}}");
                eventually("kubectl to show kubectl-1 Stopped", PATIENCE, () -> printableStatus("kubectl-1"),
                        "Stopped"::equals);
                eventually("observedGeneration 2", PATIENCE, () -> kubectl("get", "vm", "kubectl-1", "-o",
                        "jsonpath={.status.observedGeneration}").out().strip(), "2"::equals);
                Thread.sleep(1500);
                eventsBeforeRestart = vireo.history("kubectl-1").size();
                offsetBeforeRestart = vireo.projectionOffset();
                assertTrue(offsetBeforeRestart >= eventsBeforeRestart, "offset " + offsetBeforeRestart);
                appliedBeforeRestart = vireo.fromKubernetes("kubectl-1");
                assertEquals(2, appliedBeforeRestart.stream().map(e -> e.substring(e.indexOf('@'))).distinct().count(),
                        "two generations applied: " + appliedBeforeRestart);
            } finally {
                vireo.close();
            }

            // a new Vireo on the same journal: the informer lists the CR again, the projection resumes
            vireo = VireoWithKubernetes.start(data, kubeconfig);
            try {
                Thread.sleep(3000); // the initial list and a few resyncs
                assertEquals(eventsBeforeRestart, vireo.history("kubectl-1").size(),
                        "no command replayed after the restart: " + vireo.history("kubectl-1"));
                assertEquals(appliedBeforeRestart, vireo.fromKubernetes("kubectl-1"));
                assertEquals("Stopped", printableStatus("kubectl-1"));
                assertEquals(offsetBeforeRestart, vireo.projectionOffset(), "the projection resumed where it was");

                ok("patch", "vm", "kubectl-1", "--type=merge", "-p", "{\"spec\":{\"runStrategy\":\"Always\"}}");
                eventually("kubectl to show kubectl-1 Running again", PATIENCE, () -> printableStatus("kubectl-1"),
                        "Running"::equals);

                ok("delete", "vm", "kubectl-1", "--wait=false");
                eventually("kubectl-1 to be gone", PATIENCE, () -> kubectl("get", "vm", "kubectl-1"),
                        r -> r.exit() != 0 && r.err().contains("NotFound"));
                assertEquals(404, vireo.send("GET", vm("kubectl-1"), null).status());
                List<JsonNode> history = vireo.history("kubectl-1");
                assertEquals("VmDeleted", history.get(history.size() - 1).path("type").asText());
                List<String> applied = vireo.fromKubernetes("kubectl-1");
                assertEquals(4, applied.stream().map(e -> e.substring(e.indexOf('@'))).distinct().count(),
                        "create, Halted, Always, delete, each once: " + applied);
                // each command from Kubernetes names its source; what follows under its request id (the
                // node's reports) names the node
                java.util.Map<String, String> firstPrincipal = new java.util.LinkedHashMap<>();
                history.stream().filter(e -> e.path("requestId").asText().startsWith("kube-")).forEach(e ->
                        firstPrincipal.putIfAbsent(e.path("requestId").asText(), e.path("principal").asText()));
                assertEquals(4, firstPrincipal.size(), firstPrincipal.toString());
                assertTrue(firstPrincipal.values().stream().allMatch(p -> p.startsWith("kubernetes:")),
                        firstPrincipal.toString());
                System.out.println("kubectl e2e: commands " + firstPrincipal + ", " + history.size() + " events, "
                        + "projection offset " + vireo.projectionOffset());
            } finally {
                vireo.close();
            }
        } finally {
            VireoTestFiles.deleteRecursively(dir);
        }
    }
}
