package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Snapshots of a real TCG guest across two nodes (two libvirt daemons of their own, one {@code vireo node} each): a
 * memory snapshot taken on one node is restored after the VM migrated to the other (its files fetched over the
 * cluster), and a node runtime killed -9 mid-snapshot leaves, once it is back, a snapshot recorded failed or taken,
 * never half, and the guest running once, on its own files. One guest, one boot.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SnapshotAcrossNodesTest {

    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration WORK = Duration.ofSeconds(120);
    static final String NAME = Manifests.uniqueName("snapmover");
    static final String DOMAIN = "default_" + NAME;
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    static final Map<String, String> DAEMONS = Map.of("sa", "vs-a-" + SUFFIX, "sb", "vs-b-" + SUFFIX);
    static GuestNodes nodes;
    static VireoCluster cluster;
    static Api api;
    static String uid;
    static int stepsDone;

    @BeforeAll
    static void startTwoDaemonsAndTheirNodes() throws Exception {
        nodes = GuestNodes.start("snapshot tests across nodes", DAEMONS, Duration.ofMillis(50));
        cluster = nodes.cluster;
        api = nodes.api;
    }

    @AfterAll
    static void stopEverything() throws Exception {
        if (nodes != null) {
            nodes.close();
        }
    }

    @Test
    @Order(1)
    void aGuestWithADiskBoots() {
        Api.Response created = GuestNodes.createMovableGuest(api, NAME, true);
        uid = created.at("/metadata/uid").asText();
        api.awaitPhase(NAME, "Running", BOOT);
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=2 ", BOOT);
        stepsDone = 1;
    }

    /** Snapshot on node A, migrate to B, restore: the console on B resumes at the snapshot's heartbeat, no boot. */
    @Test
    @Order(2)
    void aMemorySnapshotTakenBeforeAMigrationIsRestoredOnTheNewNode() {
        requireStep(1);
        String source = node();
        String target = other(source);
        int beforeSnapshot = lastHeartbeat(console());
        Api.Response accepted = api.post(Api.vm(NAME) + "/snapshots", Api.JSON_TYPE,
                "{\"name\": \"warm\", \"memory\": true}", null);
        assertEquals(202, accepted.status(), accepted::toString);
        JsonNode warm = awaitSnapshot("warm");
        assertEquals("Succeeded", warm.at("/status/phase").asText(), warm::toString);
        assertEquals(source, warm.at("/status/node").asText(), warm::toString);
        int afterSnapshot = lastHeartbeat(console());

        Api.Response migrate = api.post(Api.vm(NAME) + "/migrate", Api.JSON_TYPE,
                "{\"targetNode\": \"" + target + "\"}", null);
        assertEquals(202, migrate.status(), migrate::toString);
        String id = migrate.at("/migrationId").asText();
        JsonNode done = Eventually.get("migration " + id + " to end", WORK,
                () -> api.get(Api.vm(NAME) + "/migrations/" + id).json(),
                m -> List.of("Succeeded", "Failed", "Cancelled").contains(m.path("phase").asText()));
        assertEquals("Succeeded", done.path("phase").asText(), done::toString);
        assertEquals(target, node());
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=" + (afterSnapshot + 6) + " ", BOOT);
        int beforeRestore = lastHeartbeat(console());

        long began = System.nanoTime();
        Api.Response restore = api.post(Api.vm(NAME) + "/restore", Api.JSON_TYPE, "{\"snapshot\": \"warm\"}", null);
        assertEquals(202, restore.status(), restore::toString);
        Eventually.get("the restore to end", WORK, () -> QemuGuests.eventTypes(api, NAME),
                t -> t.contains("RestoreCompleted") || t.contains("RestoreFailed"));
        long restoreMs = (System.nanoTime() - began) / 1_000_000;
        assertFalse(QemuGuests.eventTypes(api, NAME).contains("RestoreFailed"), () -> api.history(NAME).toString());
        JsonNode requested = event("RestoreRequested");
        assertEquals(target, requested.at("/data/node").asText(), requested::toString);
        assertEquals(source, requested.at("/data/from").asText(), "recorded: fetched from where it was taken");

        String resumed = Eventually.get("heartbeats after the restore", BOOT, SnapshotAcrossNodesTest::console,
                c -> c.contains("VIREO-GUEST-HEARTBEAT"));
        int first = firstHeartbeat(resumed);
        assertFalse(resumed.contains(RealGuestTest.BOOT_LINE), "a restore from memory does not boot:\n" + resumed);
        assertTrue(first >= beforeSnapshot && first <= afterSnapshot + 2 && first < beforeRestore,
                "the console resumes at the snapshot's heartbeat (" + beforeSnapshot + ".." + afterSnapshot
                        + ", was at " + beforeRestore + " before the restore):\n" + resumed);
        Api.Response vm = api.awaitPhase(NAME, "Running");
        assertEquals(target, vm.at("/status/node").asText());
        Eventually.until("the sampler to see the guest on " + target + " only", Duration.ofSeconds(10),
                () -> nodes.sampler.runningOn(uid).equals(List.of(target)));
        nodes.noDoubles();
        System.out.printf("SNAPSHOT-ACROSS-NODES restore from memory on %s of a snapshot taken on %s (%s bytes"
                + " fetched): %d ms, load %s%n", target, source, warm.at("/status/sizeBytes").asText(), restoreMs,
                QemuGuests.run("cat", "/proc/loadavg"));
        stepsDone = 2;
    }

    /**
     * The node runtime killed -9 (its recorded pid only) while it takes a snapshot, then started again: the snapshot
     * is recorded failed with the reason (or taken, if it was whole), never left in progress or half on disk, and
     * the guest runs once, on its own overlay, not paused.
     */
    @Test
    @Order(3)
    void aNodeRuntimeKilledMidSnapshotLeavesAWholeRecordAndTheGuestRunningOnce() throws Exception {
        requireStep(2);
        String node = node();
        VireoCluster.Member member = cluster.member(node);
        Path snapshots = member.dataDir.resolve("vms").resolve(DOMAIN).resolve("snapshots");
        Api.Response accepted = api.post(Api.vm(NAME) + "/snapshots", Api.JSON_TYPE,
                "{\"name\": \"cut\", \"memory\": true}", null);
        assertEquals(202, accepted.status(), accepted::toString);
        Eventually.until("snapshot cut to be under way on node " + node, Duration.ofSeconds(30),
                () -> Files.exists(snapshots.resolve("cut.taking")) || Files.isDirectory(snapshots.resolve("cut")));
        long pid = member.pid();
        member.kill();
        VireoCluster.Member again = cluster.restart(member);
        cluster.awaitNode(node, "Ready", again);

        JsonNode cut = awaitSnapshot("cut");
        String phase = cut.at("/status/phase").asText();
        System.out.printf("SNAPSHOT-KILLED node runtime pid %d killed mid-snapshot: %s %s%n", pid, phase,
                cut.at("/status/reason").asText(""));
        if (phase.equals("Failed")) {
            assertTrue(cut.at("/status/reason").asText().contains("stopped while it took snapshot cut"), cut::toString);
            assertFalse(Files.exists(snapshots.resolve("cut")), "a failed snapshot leaves no files");
        } else {
            assertEquals("Succeeded", phase, cut::toString);
            assertTrue(Files.isRegularFile(snapshots.resolve("cut").resolve("memory.state")), "a whole snapshot");
        }
        assertFalse(Files.exists(snapshots.resolve("cut.part")), "no half snapshot stays");
        assertFalse(Files.exists(snapshots.resolve("cut.taking")));

        Api.Response vm = api.awaitPhase(NAME, "Running");
        assertEquals(node, vm.at("/status/node").asText());
        Eventually.until("the guest to run once, on node " + node + ", on its own overlay", Duration.ofSeconds(60),
                () -> nodes.sampler.runningOn(uid).equals(List.of(node)) && "running".equals(nodes.domainState(node,
                        DOMAIN)) && !String.valueOf(QemuGuests.run("virsh", "-c", nodes.uris.get(node), "domblklist",
                        DOMAIN)).contains(".snapshotting"));
        int before = lastHeartbeat(console());
        String later = Eventually.get("the heartbeat to go on", Duration.ofSeconds(60),
                SnapshotAcrossNodesTest::console, c -> lastHeartbeat(c) > before);
        assertFalse(later.contains(RealGuestTest.BOOT_LINE), "not booted again:\n" + later);
        nodes.noDoubles();
        stepsDone = 3;
    }

    private static JsonNode awaitSnapshot(String snap) {
        return Eventually.get("snapshot " + snap + " to end", WORK, () -> api.get(Api.vm(NAME) + "/snapshots/" + snap),
                s -> s.status() == 200 && !"InProgress".equals(s.at("/status/phase").asText())).json();
    }

    private static JsonNode event(String type) {
        return api.history(NAME).stream().filter(e -> e.path("type").asText().equals(type)).reduce((a, b) -> b)
                .orElseThrow();
    }

    private static String console() {
        return nodes.console(NAME);
    }

    private static String node() {
        return api.get(Api.vm(NAME)).at("/status/node").asText();
    }

    private static String other(String node) {
        return node.equals("sa") ? "sb" : "sa";
    }

    private static int lastHeartbeat(String console) {
        return GuestNodes.lastHeartbeat(console);
    }

    private static int firstHeartbeat(String console) {
        java.util.regex.Matcher m = RealGuestTest.HEARTBEAT.matcher(console);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static void requireStep(int step) {
        Assumptions.assumeTrue(stepsDone >= step, "an earlier step failed; this one builds on it");
    }
}
