package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
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
 * Live migration with a real TCG guest (with a disk: its overlay is copied, the base image is not) between two
 * libvirt daemons of their own ({@code deploy/libvirt-node.sh}), each the hypervisor of one {@code vireo node}. The
 * independent {@link DomainSampler} lists both daemons' running domains every 50 ms throughout: the guest never runs
 * twice. One guest, one boot: it migrates, a second migration is cancelled, a third loses its target host mid-way.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveMigrationTest {

    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration MIGRATION = Duration.ofSeconds(60);
    static final String NAME = Manifests.uniqueName("mover");
    static final String DOMAIN = "default_" + NAME;
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    /** node name -> its libvirt daemon's name (deploy/libvirt-node.sh) */
    static final Map<String, String> DAEMONS = Map.of("ma", "vm-a-" + SUFFIX, "mb", "vm-b-" + SUFFIX);
    static GuestNodes nodes;
    static VireoCluster cluster;
    static Api api;
    static DomainSampler sampler;
    static String uid;
    static int stepsDone;

    @BeforeAll
    static void startTwoDaemonsAndTheirNodes() throws Exception {
        nodes = GuestNodes.start("live migration tests", DAEMONS, Duration.ofMillis(50));
        cluster = nodes.cluster;
        api = nodes.api;
        sampler = nodes.sampler;
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
        Api.Response created = api.create("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "memory": "128Mi", "terminationGracePeriodSeconds": 5,
                  "evictionStrategy": "LiveMigrate",
                  "boot": {"kernel": "vmlinuz", "initrd": "initrd.img", "cmdline": "console=ttyS0 hostname=%s"},
                  "disks": [{"name": "data", "image": "disk.qcow2"}]}}
                """.formatted(NAME, NAME));
        assertEquals(201, created.status(), created::toString);
        uid = created.at("/metadata/uid").asText();
        api.awaitPhase(NAME, "Running", BOOT);
        QemuGuests.awaitConsole(api, NAME, RealGuestTest.BOOT_LINE + " hostname=" + NAME, BOOT);
        assertEquals(List.of(node()), sampler.runningOn(uid));
        stepsDone = 1;
    }

    @Test
    @Order(2)
    void migrationsThatCannotBeAreRefusedWithTheReason() {
        requireStep(1);
        Api.Response own = migrate("{\"targetNode\": \"" + node() + "\"}");
        assertEquals(409, own.status(), own::toString);
        assertTrue(own.text().contains("already runs there"), own::toString);
        Api.Response unknown = migrate("{\"targetNode\": \"nowhere\"}");
        assertEquals(404, unknown.status(), unknown::toString);
        assertTrue(unknown.text().contains("node nowhere is unknown"), unknown::toString);
        Api.Response bad = migrate("{\"maxDowntimeMs\": -5}");
        assertEquals(400, bad.status(), bad::toString);
        assertEquals("maxDowntimeMs", bad.at("/field").asText(), bad::toString);
        Api.Response halted = api.create("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s-idle"},
                 "spec": {"runStrategy": "Halted", "memory": "64Mi"}}""".formatted(NAME));
        assertEquals(201, halted.status(), halted::toString);
        Api.Response notRunning = api.post(Api.vm(NAME + "-idle") + "/migrate", Api.JSON_TYPE, "{}", null);
        assertEquals(409, notRunning.status(), notRunning::toString);
        assertTrue(notRunning.text().contains("only a Running VM"), notRunning::toString);
        String cordoned = other(node());
        assertEquals(200, api.post("/api/v1/nodes/" + cordoned + "/cordon", Api.JSON_TYPE, "", null).status());
        try {
            Api.Response toCordoned = migrate("{\"targetNode\": \"" + cordoned + "\"}");
            assertEquals(409, toCordoned.status(), toCordoned::toString);
            assertTrue(toCordoned.text().contains("cordoned"), toCordoned::toString);
        } finally {
            assertEquals(200, api.post("/api/v1/nodes/" + cordoned + "/uncordon", Api.JSON_TYPE, "", null).status());
        }
        stepsDone = 2;
    }

    /** The heartbeat goes on from the target, no new boot; the source has no domain left; history shows each step. */
    @Test
    @Order(3)
    void aRunningGuestMovesToTheOtherNodeWithoutARebootAndNeverRunsTwice() {
        requireStep(2);
        String source = node();
        String target = other(source);
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        int before = lastHeartbeat(console());
        long requested = System.nanoTime();
        Api.Response accepted = migrate("{\"targetNode\": \"" + target + "\"}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        JsonNode done = awaitMigration(id, MIGRATION);
        long wallMs = (System.nanoTime() - requested) / 1_000_000;
        assertEquals("Succeeded", done.path("phase").asText(), done::toString);
        Api.Response vm = api.get(Api.vm(NAME));
        assertEquals("Running", vm.phase());
        assertEquals(target, vm.at("/status/node").asText());
        assertEquals(incarnation + 1, vm.incarnation(), "a new incarnation on the target");
        // the console now comes from the target's log: the same guest, counting on, not booted again
        String after = Eventually.get("the heartbeat to go on from node " + target, Duration.ofSeconds(30),
                LiveMigrationTest::console, text -> lastHeartbeat(text) > before);
        assertFalse(after.contains(RealGuestTest.BOOT_LINE), "no new boot on the target:\n" + after);
        Eventually.until("the sampler to see the guest on " + target + " only", Duration.ofSeconds(5),
                () -> sampler.runningOn(uid).equals(List.of(target)));
        assertEquals("gone", domainState(source), "the source keeps no domain");
        List<String> types = QemuGuests.eventTypes(api, NAME);
        assertTrue(types.containsAll(List.of("MigrationRequested", "MigrationTargetChosen", "MigrationStarted",
                "MigrationCompleted")), types::toString);
        // time travel to the moment it started: the VM was migrating, from the source to the target
        String startedAt = api.history(NAME).stream().filter(e -> e.path("type").asText().equals("MigrationStarted"))
                .reduce((a, b) -> b).orElseThrow().path("timestamp").asText();
        Api.Response then = api.get(Api.vm(NAME) + "/state?at=" + startedAt);
        assertEquals("Migrating", then.phase(), then::toString);
        assertEquals(source, then.at("/status/node").asText(), then::toString);
        assertEquals(target, then.at("/status/migration/target").asText(), then::toString);
        noDoubles();
        System.out.printf("MIGRATION-FIGURES wall=%d ms job=%d ms downtime=%d ms data=%d B load=%s%n", wallMs,
                done.path("durationMs").asLong(), done.path("downtimeMs").asLong(),
                done.path("progress").path("dataProcessed").asLong(-1), QemuGuests.run("cat", "/proc/loadavg"));
        stepsDone = 3;
    }

    /** A slow migration (1 MiB/s) cancelled mid-way: the guest keeps running on the source. */
    @Test
    @Order(4)
    void aCancelledMigrationLeavesTheGuestRunningOnTheSource() {
        requireStep(3);
        String source = node();
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        Api.Response accepted = migrate("{\"bandwidthMiBps\": 1}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to be under way", MIGRATION, () -> migration(id),
                m -> m.path("phase").asText().equals("Running") && m.has("progress"));
        Api.Response cancel = api.delete(Api.vm(NAME) + "/migrations/" + id);
        assertEquals(202, cancel.status(), cancel::toString);
        JsonNode ended = awaitMigration(id, MIGRATION);
        assertEquals("Cancelled", ended.path("phase").asText(), ended::toString);
        Api.Response vm = api.awaitPhase(NAME, "Running");
        assertEquals(source, vm.at("/status/node").asText());
        assertEquals(incarnation, vm.incarnation());
        int before = lastHeartbeat(console());
        Eventually.get("the heartbeat to go on", Duration.ofSeconds(30), LiveMigrationTest::console,
                text -> lastHeartbeat(text) > before);
        assertEquals(List.of(source), sampler.runningOn(uid));
        assertEquals(409, api.delete(Api.vm(NAME) + "/migrations/" + id).status(), "nothing left to cancel");
        noDoubles();
        stepsDone = 4;
    }

    /** Drain: the node is cordoned and its LiveMigrate guest moves to the other node, live. */
    @Test
    @Order(5)
    void drainCordonsTheNodeAndLiveMigratesItsGuestAway() {
        requireStep(4);
        String drained = node();
        Api.Response answer = api.post("/api/v1/nodes/" + drained + "/drain", Api.JSON_TYPE, "", null);
        assertEquals(202, answer.status(), answer::toString);
        JsonNode item = answer.at("/items/0");
        assertEquals("default/" + NAME, item.path("vm").asText(), answer::toString);
        assertEquals("Migrating", item.path("action").asText(), answer::toString);
        JsonNode done = awaitMigration(item.path("migrationId").asText(), MIGRATION);
        assertEquals("Succeeded", done.path("phase").asText(), done::toString);
        assertEquals(other(drained), node());
        Eventually.get("node " + drained + " to run no VM", Duration.ofSeconds(10), () -> cluster.node(drained),
                n -> n.path("virtualMachines").isEmpty() && n.path("cordoned").asBoolean());
        noDoubles();
        assertEquals(200, api.post("/api/v1/nodes/" + drained + "/uncordon", Api.JSON_TYPE, "", null).status());
        stepsDone = 5;
    }

    /**
     * The source's node runtime (the libvirt client that drives the migration) killed -9 mid-way and started again:
     * exactly one domain runs, and the entity knows where.
     */
    @Test
    @Order(6)
    void aSourceNodeRuntimeKilledMidMigrationLeavesExactlyOneRunningGuestThatTheEntityKnows() throws Exception {
        requireStep(5);
        String source = node();
        Api.Response accepted = migrate("{\"bandwidthMiBps\": 1}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to be under way", MIGRATION, () -> migration(id),
                m -> m.path("phase").asText().equals("Running") && m.has("progress"));
        VireoCluster.Member crashed = cluster.member(source);
        crashed.kill();
        VireoCluster.Member again = cluster.restart(crashed);
        cluster.awaitNode(source, "Ready", again);
        JsonNode ended = awaitMigration(id, MIGRATION);
        Api.Response vm = api.awaitPhase(NAME, "Running");
        String where = vm.at("/status/node").asText();
        int before = lastHeartbeat(console());
        Eventually.get("the heartbeat to go on (migration " + ended.path("phase").asText() + ": "
                + ended.path("reason").asText("") + ")", Duration.ofSeconds(60), LiveMigrationTest::console,
                text -> lastHeartbeat(text) > before);
        Eventually.until("the sampler to see the guest on " + where + " only", Duration.ofSeconds(10),
                () -> sampler.runningOn(uid).equals(List.of(where)));
        noDoubles();
        System.out.printf("SOURCE-KILLED migration %s %s: %s; the guest runs on %s (source %s)%n", id,
                ended.path("phase").asText(), ended.path("reason").asText(""), where, source);
        stepsDone = 6;
    }

    /** The target host dies mid-migration (its daemon and QEMUs killed -9): the guest runs on where it ran. */
    @Test
    @Order(7)
    void aTargetHostThatDiesMidMigrationLeavesTheGuestOnTheSource() {
        requireStep(6);
        String source = node();
        String target = other(source);
        Api.Response accepted = migrate("{\"bandwidthMiBps\": 1}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to be under way", MIGRATION, () -> migration(id),
                m -> m.path("phase").asText().equals("Running") && m.has("progress"));
        nodes.killHost(target);
        JsonNode ended = awaitMigration(id, MIGRATION);
        assertEquals("Failed", ended.path("phase").asText(), ended::toString);
        Api.Response vm = api.awaitPhase(NAME, "Running");
        assertEquals(source, vm.at("/status/node").asText(), "the entity knows where it runs");
        int before = lastHeartbeat(console());
        Eventually.get("the heartbeat to go on", Duration.ofSeconds(30), LiveMigrationTest::console,
                text -> lastHeartbeat(text) > before);
        assertEquals(List.of(source), sampler.runningOn(uid), "exactly one running domain, on the source");
        noDoubles();
    }

    private static Api.Response migrate(String body) {
        return api.post(Api.vm(NAME) + "/migrate", Api.JSON_TYPE, body, null);
    }

    private static JsonNode migration(String id) {
        Api.Response r = api.get(Api.vm(NAME) + "/migrations/" + id);
        assertEquals(200, r.status(), r::toString);
        return r.json();
    }

    private static JsonNode awaitMigration(String id, Duration within) {
        return Eventually.get("migration " + id + " to end", within, () -> migration(id),
                m -> List.of("Succeeded", "Failed", "Cancelled").contains(m.path("phase").asText()));
    }

    private static String console() {
        return api.get(Api.vm(NAME) + "/console?follow=false").text();
    }

    private static String node() {
        return api.get(Api.vm(NAME)).at("/status/node").asText();
    }

    private static String other(String node) {
        return node.equals("ma") ? "mb" : "ma";
    }

    private static String domainState(String node) {
        return nodes.domainState(node, DOMAIN);
    }

    private static void noDoubles() {
        nodes.noDoubles();
    }

    private static int lastHeartbeat(String console) {
        return GuestNodes.lastHeartbeat(console);
    }

    private static void requireStep(int step) {
        Assumptions.assumeTrue(stepsDone >= step, "an earlier step failed; this one builds on it");
    }
}
