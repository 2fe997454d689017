package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.cli.VireoCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * A Vireo of processes on 127.0.0.1, on libvirt's test driver: one {@code vireo control-plane} and {@code vireo
 * node}s joining it, driven over HTTP and the CLI as an operator would. Scheduling across nodes (spreading,
 * nodeSelector, cordon, images, a node with room joining), a name taken twice, and the loss of a node. The
 * tests build on each other: one cluster for all, so that the JVMs start once.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterEndToEndTest {

    static final String TEST = "test:///default";
    static Path dir;
    static VireoCluster cluster;
    static Api api;
    /** Each test's VMs, by name, so that later tests know where the earlier ones are. */
    static final List<String> spread = new ArrayList<>();

    @BeforeAll
    static void startCluster() throws Exception {
        dir = Files.createTempDirectory("vireo-cluster-");
        cluster = VireoCluster.start(dir, List.of("-Dvireo.vm.backoff-base=1s", "-Dvireo.vm.backoff-max=2s"));
        api = cluster.api();
        Path images = Files.createDirectories(dir.resolve("n1-images"));
        Files.writeString(images.resolve("kernel.img"), "a kernel only n1 holds");
        cluster.startNode("n1", TEST, "--label", "zone=a", "--cpus", "2", "--memory", "2Gi",
                "--images", images.toString());
        cluster.startNode("n2", TEST, "--label", "zone=b", "--cpus", "2", "--memory", "2Gi");
        cluster.awaitNode("n1", "Ready", cluster.member("n1"));
        cluster.awaitNode("n2", "Ready", cluster.member("n2"));
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
        RunningVireo.deleteRecursively(dir);
    }

    @Test
    @Order(1)
    void nodesShowTheirStateCapacityAllocationAndVms() {
        JsonNode n1 = cluster.node("n1");
        assertEquals("Ready", n1.path("state").asText());
        assertEquals(20, n1.path("capacity").path("cpus").asInt(), "2 CPUs x the allocation ratio 10");
        assertEquals(2L << 30, n1.path("capacity").path("memoryBytes").asLong());
        assertEquals(0, n1.path("allocated").path("memoryBytes").asLong());
        assertEquals("a", n1.path("labels").path("zone").asText());
        assertEquals("kernel.img", n1.path("images").get(0).path("path").asText());
        assertTrue(n1.path("address").asText().startsWith("pekko://vireo@127.0.0.1:"), n1.toString());

        Run get = vireo("get", "nodes");
        assertEquals(0, get.exit(), get::toString);
        assertTrue(get.out().lines().anyMatch(l -> l.startsWith("n1 ") && l.contains("Ready") && l.contains("0/20")
                && l.contains("0Mi/2Gi")), get::toString);
        assertTrue(get.out().lines().anyMatch(l -> l.startsWith("n2 ") && l.contains("Ready")), get::toString);
    }

    @Test
    @Order(2)
    void vmsSpreadOverTheLeastLoadedNodes() {
        for (int i = 0; i < 4; i++) {
            String name = Manifests.uniqueName("spread");
            assertEquals(201, api.create(Manifests.json(name, "Always", "256Mi")).status());
            spread.add(name);
        }
        Map<String, Integer> perNode = new HashMap<>();
        for (String name : spread) {
            perNode.merge(api.awaitPhase(name, "Running").at("/status/node").asText(), 1, Integer::sum);
        }
        assertEquals(Map.of("n1", 2, "n2", 2), perNode);
        JsonNode n1 = cluster.node("n1");
        assertEquals(512L << 20, n1.path("allocated").path("memoryBytes").asLong());
        assertEquals(2, n1.path("virtualMachines").size());
    }

    @Test
    @Order(3)
    void aNodeSelectorPutsVmsOnTheLabelledNode() {
        for (int i = 0; i < 2; i++) {
            String name = Manifests.uniqueName("zone-b");
            assertEquals(201, api.create(withSpec(name, "\"nodeSelector\": {\"zone\": \"b\"}")).status());
            assertEquals("n2", api.awaitPhase(name, "Running").at("/status/node").asText());
        }
    }

    @Test
    @Order(4)
    void aCordonedNodeGetsNoNewVmsAndAnUnknownNodeIsNotFound() {
        Run cordon = vireo("cordon", "n2");
        assertEquals(0, cordon.exit(), cordon::toString);
        assertTrue(cordon.out().contains("node/n2 cordoned"), cordon::toString);
        assertTrue(cluster.node("n2").path("cordoned").asBoolean());
        for (int i = 0; i < 3; i++) {
            String name = Manifests.uniqueName("cordoned");
            api.create(Manifests.json(name, "Always", "64Mi"));
            assertEquals("n1", api.awaitPhase(name, "Running").at("/status/node").asText());
        }
        Api.Response unknown = api.post("/api/v1/nodes/no-such-node/cordon", Api.JSON_TYPE, "", null);
        assertEquals(404, unknown.status(), unknown::toString);
        assertTrue(unknown.at("/message").asText().contains("no-such-node"), unknown::toString);
        Run missing = vireo("uncordon", "no-such-node");
        assertNotEquals(0, missing.exit(), missing::toString);
        assertEquals(0, vireo("uncordon", "n2").exit());
        assertTrue(!cluster.node("n2").path("cordoned").asBoolean());
    }

    @Test
    @Order(5)
    void aVmGoesWhereItsFilesAreAndAFileNoNodeHoldsIsRefused() {
        String name = Manifests.uniqueName("kernel");
        Api.Response created = api.create(withSpec(name, "\"boot\": {\"kernel\": \"kernel.img\"}"));
        assertEquals(201, created.status(), created::toString);
        assertEquals("n1", api.awaitPhase(name, "Running").at("/status/node").asText());
        Api.Response refused = api.create(withSpec(Manifests.uniqueName("nofile"),
                "\"boot\": {\"kernel\": \"absent.img\"}"));
        assertEquals(400, refused.status(), refused::toString);
        assertEquals("spec.boot.kernel", refused.at("/field").asText());
        assertTrue(refused.at("/message").asText().contains("held by no node"), refused::toString);
    }

    @Test
    @Order(6)
    void aVmThatFitsNowhereWaitsAndRunsOnceANodeWithRoomJoins() throws Exception {
        String name = Manifests.uniqueName("big");
        api.create(Manifests.json(name, "Always", "6Gi"));
        Api.Response waiting = api.awaitPhase(name, "ErrorUnschedulable");
        String reason = waiting.json().at("/status/conditions").toString();
        assertTrue(reason.contains("no node fits"), reason);
        cluster.node("n3", TEST, "--label", "zone=c", "--cpus", "4", "--memory", "16Gi");
        assertEquals("n3", api.awaitPhase(name, "Running").at("/status/node").asText());
        assertTrue(api.history(name).stream().anyMatch(e -> e.path("type").asText().equals("Unschedulable")));
    }

    @Test
    @Order(7)
    void aSecondNodeRuntimeUnderATakenNameIsRefusedAndTheFirstKeepsItsVms() throws Exception {
        List<String> before = names(cluster.node("n1").path("virtualMachines"));
        VireoCluster.Member duplicate = cluster.startNode("n1", TEST);
        Eventually.get("the duplicate to be refused", Duration.ofSeconds(120),
                () -> (duplicate.process.isAlive() ? "running" : "exited " + duplicate.process.exitValue()) + ":\n"
                        + duplicate.logText(), log -> log.contains("the control plane refused this node runtime"));
        assertTrue(cluster.controlPlane().logText().contains("node n1: refused the node runtime at"),
                cluster.controlPlane().tail());
        Thread.sleep(3_000); // it keeps asking; nothing changes for the running one
        JsonNode n1 = cluster.node("n1");
        assertEquals("Ready", n1.path("state").asText());
        assertEquals(before, names(n1.path("virtualMachines")));
        assertNotEquals(n1.path("address").asText(), "", n1.toString());
        duplicate.kill();
    }

    @Test
    @Order(8)
    void aLostNodesVmsFollowTheirRunStrategy() throws Exception {
        assertEquals(0, vireo("cordon", "n1").exit());
        assertEquals(0, vireo("cordon", "n2").exit());
        Map<String, String> vms = new HashMap<>();
        for (String strategy : List.of("Always", "RerunOnFailure", "Once", "Manual")) {
            String name = Manifests.uniqueName(strategy.toLowerCase());
            vms.put(strategy, name);
            api.create(Manifests.json(name, strategy, "64Mi"));
            if (strategy.equals("Manual")) {
                api.action(name, "start");
            }
            assertEquals("n3", api.awaitPhase(name, "Running").at("/status/node").asText());
        }
        assertEquals(0, vireo("uncordon", "n1").exit());
        assertEquals(0, vireo("uncordon", "n2").exit());
        long lostBefore = nodeEvents("NodeLost").size();

        cluster.member("n3").kill();
        for (String strategy : List.of("Always", "RerunOnFailure")) {
            Api.Response moved = Eventually.get(strategy + " VM running on another node", Duration.ofSeconds(90),
                    () -> api.get(Api.vm(vms.get(strategy))), r -> "Running".equals(r.phase())
                            && !"n3".equals(r.at("/status/node").asText()));
            assertTrue(moved.incarnation() > 1, moved::toString);
        }
        for (String strategy : List.of("Once", "Manual")) {
            assertEquals("Failed", api.awaitPhase(vms.get(strategy), "Failed").phase());
        }
        for (String name : vms.values()) {
            assertTrue(QemuGuests.eventTypes(api, name).contains("NodeLost"), name);
        }
        assertEquals("Lost", cluster.node("n3").path("state").asText());
        List<SseSubscription.Event> lost = nodeEvents("NodeLost");
        assertEquals(lostBefore + 1, lost.size(), lost::toString);
        assertEquals("n3", lost.get(lost.size() - 1).data().path("node").asText());
        Set<String> lostVms = new java.util.HashSet<>(names(lost.get(lost.size() - 1).data().path("data")
                .path("virtualMachines")));
        assertTrue(lostVms.containsAll(vms.values().stream().map(n -> "default/" + n).toList()), lostVms::toString);
    }

    @Test
    @Order(9)
    void nodesJoiningAndCordonsAreEventsOfTheStream() {
        Set<String> joined = nodeEvents("NodeJoined").stream().map(e -> e.data().path("node").asText())
                .collect(Collectors.toSet());
        assertEquals(Set.of("n1", "n2", "n3"), joined);
        assertTrue(nodeEvents("NodeCordoned").size() >= 3);
        assertTrue(nodeEvents("NodeUncordoned").size() >= 3);
    }

    /** The nodes' events of {@code type} on the event stream, from the beginning (a VM's NodeLost has its name). */
    private static List<SseSubscription.Event> nodeEvents(String type) {
        try (SseSubscription events = SseSubscription.open(api, "since=0&type=" + type)) {
            return events.drain(Duration.ofSeconds(2)).stream()
                    .filter(e -> e.data().path("namespace").isMissingNode() && e.data().has("node")).toList();
        }
    }

    private static List<String> names(JsonNode array) {
        List<String> names = new ArrayList<>();
        array.forEach(n -> names.add(n.asText()));
        return names;
    }

    private static String withSpec(String name, String more) {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "memory": "64Mi", %s}}
                """.formatted(name, more);
    }

    record Run(int exit, String out, String err) {
    }

    private static Run vireo(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = VireoCli.commandLine();
        cli.setOut(new PrintWriter(out));
        cli.setErr(new PrintWriter(err));
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--server", api.base().toString()));
        int exit = cli.execute(all.toArray(String[]::new));
        return new Run(exit, out.toString(), err.toString());
    }
}
