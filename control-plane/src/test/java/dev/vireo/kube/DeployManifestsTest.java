package dev.vireo.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.rbac.ClusterRole;
import io.fabric8.kubernetes.api.model.rbac.Role;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** No API server runs here: the manifests are checked against fabric8's typed model, strictly. */
class DeployManifestsTest {

    static final Path DEPLOY = Path.of("..", "deploy");

    static List<HasMetadata> all(String dir) throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        try (Stream<Path> files = Files.list(DEPLOY.resolve(dir))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                objects.addAll(StrictKubernetesModel.load(file));
            }
        }
        return objects;
    }

    @Test
    void anUnknownFieldIsAnError() {
        String yaml = """
                apiVersion: v1
                kind: Service
                metadata: {name: x}
                spec:
                  selector: {app: x}
                  portz: [{port: 80}]
                """;
        Exception e = assertThrows(Exception.class, () -> StrictKubernetesModel.parse(yaml, "test"));
        assertTrue(String.valueOf(e.getMessage()).contains("portz"), e.getMessage());
        assertThrows(Exception.class, () -> StrictKubernetesModel.parse("apiVersion: v1\nkind: Servise\nmetadata: {name: x}\n", "test"));
    }

    @Test
    void everyManifestForARealClusterIsValidKubernetes() throws IOException {
        List<HasMetadata> objects = all("kubernetes");
        for (Class<?> kind : List.of(ServiceAccount.class, ClusterRole.class, Role.class, StatefulSet.class,
                DaemonSet.class, Service.class)) {
            assertTrue(objects.stream().anyMatch(kind::isInstance), "no " + kind.getSimpleName());
        }
        for (HasMetadata o : objects) {
            if (!o.getKind().equals("Namespace") && !o.getKind().startsWith("Cluster")) {
                assertEquals("vireo-system", o.getMetadata().getNamespace(), o.getKind() + " " + o.getMetadata().getName());
            }
        }
    }

    @Test
    void theControlPlaneAndTheNodesRunVireosLaunchersWithFlagsTheyTake() throws IOException {
        StatefulSet cp = all("kubernetes").stream().filter(StatefulSet.class::isInstance).map(StatefulSet.class::cast)
                .findFirst().orElseThrow();
        var container = cp.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertEquals("control-plane", container.getArgs().get(0));
        parses(container.getArgs());
        assertTrue(container.getArgs().contains("--seed") && container.getArgs().contains("--cluster-address"));
        assertTrue(container.getPorts().stream().map(p -> p.getName()).toList().containsAll(List.of("remoting", "http")));
        assertEquals(cp.getSpec().getSelector().getMatchLabels(), cp.getSpec().getTemplate().getMetadata().getLabels());
        assertEquals("vireo", cp.getSpec().getTemplate().getSpec().getServiceAccountName());
        assertEquals(1, cp.getSpec().getReplicas(), "one member while the journal is the embedded H2");

        DaemonSet node = all("kubernetes").stream().filter(DaemonSet.class::isInstance).map(DaemonSet.class::cast)
                .findFirst().orElseThrow();
        var containers = node.getSpec().getTemplate().getSpec().getContainers();
        var runtime = containers.stream().filter(c -> c.getArgs().get(0).equals("node")).findFirst().orElseThrow();
        var watchdog = containers.stream().filter(c -> c.getArgs().get(0).equals("watchdog")).findFirst().orElseThrow();
        parses(runtime.getArgs());
        parses(watchdog.getArgs());
        assertTrue(String.join(" ", runtime.getArgs()).contains("--watchdog external"), runtime.getArgs().toString());
        assertTrue(runtime.getSecurityContext().getPrivileged());
        assertTrue(node.getSpec().getTemplate().getSpec().getVolumes().stream().map(v -> v.getHostPath().getPath())
                .toList().containsAll(List.of("/dev/kvm", "/var/run/libvirt", "/var/lib/vireo")));
        for (var c : List.of(runtime, watchdog)) {
            assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/var/lib/vireo")),
                    "the node runtime and its watchdog share the lease file: " + c.getName());
        }
    }

    /** The args, with Kubernetes' $(VAR) filled in, are a command line the jar's launchers accept. */
    private static void parses(List<String> args) {
        List<String> filled = args.stream().map(a -> a.replaceAll("\\$\\([A-Z_]+\\)", "x1")).toList();
        dev.vireo.Main.commandLine().parseArgs(filled.toArray(String[]::new));
    }

    @Test
    void rbacGrantsWhatTheSyncAndTheBootstrapUse() throws IOException {
        List<HasMetadata> objects = all("kubernetes");
        ClusterRole role = objects.stream().filter(ClusterRole.class::isInstance).map(ClusterRole.class::cast)
                .findFirst().orElseThrow();
        List<String> resources = role.getRules().stream().flatMap(r -> r.getResources().stream()).toList();
        assertTrue(resources.containsAll(List.of("virtualmachines", "virtualmachines/status",
                "virtualmachines/finalizers", "tokenreviews")), resources.toString());
        Role membership = objects.stream().filter(Role.class::isInstance).map(Role.class::cast).findFirst().orElseThrow();
        assertTrue(membership.getRules().stream().flatMap(r -> r.getResources().stream()).toList()
                .containsAll(List.of("pods", "leases")));
    }

    @Test
    void theCrdsAreValidAndServeVireoDevV1WithAStatusSubresource() throws IOException {
        List<HasMetadata> crds = all("crds");
        assertEquals(java.util.Set.of("VirtualMachine", "VirtualMachineMigration", "VirtualMachineSnapshot",
                "VirtualMachineRestore"), crds.stream().map(o -> ((CustomResourceDefinition) o).getSpec().getNames()
                .getKind()).collect(java.util.stream.Collectors.toSet()));
        assertEquals(4, crds.size());
        for (HasMetadata o : crds) {
            CustomResourceDefinition crd = (CustomResourceDefinition) o;
            assertEquals("vireo.dev", crd.getSpec().getGroup());
            assertEquals(crd.getSpec().getNames().getPlural() + ".vireo.dev", crd.getMetadata().getName());
            assertEquals("v1", crd.getSpec().getVersions().get(0).getName());
            assertFalse(crd.getSpec().getVersions().get(0).getSubresources() == null);
        }
    }
}
