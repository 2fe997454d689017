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
 * twice. One guest, one boot: it migrates, a second migration is cancelled; then migrations lose the source's node
 * runtime, the control plane (twice: while it runs, and while it completes), the target's node runtime; a drain moves
 * it and two more guests; a last migration loses its target host mid-way.
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
    /** node name -> the address its incoming migrations listen on */
    static final Map<String, String> MIGRATION_ADDRESSES = Map.of("ma", "127.0.0.1", "mb", "127.0.0.2");
    static GuestNodes nodes;
    static VireoCluster cluster;
    static Api api;
    static DomainSampler sampler;
    static String uid;
    static int stepsDone;

    @BeforeAll
    static void startTwoDaemonsAndTheirNodes() throws Exception {
        // node mb's incoming migrations listen on another loopback address (vireo node --migration-address)
        nodes = GuestNodes.start("live migration tests", DAEMONS, Duration.ofMillis(50),
                Map.of("mb", List.of("--migration-address", MIGRATION_ADDRESSES.get("mb"))));
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
        Api.Response created = GuestNodes.createMovableGuest(api, NAME, true);
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
        assertTrue(cluster.member(target).logText().contains("listening on " + MIGRATION_ADDRESSES.get(target) + ":"),
                "node " + target + " listened on its --migration-address:\n" + cluster.member(target).tail());
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
        again.awaitReconciled(Duration.ofSeconds(120));
        cluster.awaitNode(source, "Ready", again);
        JsonNode ended = awaitMigration(id, MIGRATION);
        Api.Response vm = api.awaitPhase(NAME, "Running");
        String where = vm.at("/status/node").asText();
        nodes.heartbeatGoesOn(NAME, "migration " + ended.path("phase").asText() + ": "
                + ended.path("reason").asText(""));
        Eventually.until("the sampler to see the guest on " + where + " only", Duration.ofSeconds(10),
                () -> sampler.runningOn(uid).equals(List.of(where)));
        noDoubles();
        System.out.printf("SOURCE-KILLED migration %s %s: %s; the guest runs on %s (source %s)%n", id,
                ended.path("phase").asText(), ended.path("reason").asText(""), where, source);
        stepsDone = 6;
    }

    /**
     * The control plane killed -9 while a slow migration runs, then started again. The VM recovers in Migrating and
     * claims its target again (the restarted scheduler had forgotten it). The restarted control plane is a new
     * cluster: the node runtimes, downed, start fresh members, and the source's job dies with its old connections
     * (their leases may also have expired meanwhile: the watchdog paused the guest). Either way exactly one domain
     * runs at the end, where the entity says, the guest not booted again.
     */
    @Test
    @Order(7)
    void aControlPlaneKilledMidMigrationLeavesExactlyOneRunningGuestThatTheEntityKnows() throws Exception {
        requireStep(6);
        String source = node();
        String target = other(source);
        long targetBefore = allocatedMemory(target);
        long sourceBefore = allocatedMemory(source);
        Api.Response accepted = migrate("{\"targetNode\": \"" + target + "\", \"bandwidthMiBps\": 2,"
                + " \"completionTimeoutPerGiBSeconds\": 1000}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to be under way", MIGRATION, () -> migration(id),
                m -> m.path("phase").asText().equals("Running") && m.has("progress"));
        long bootsBefore = bootLines(console());
        cluster.controlPlane().kill();
        cluster.restartControlPlane();
        for (String n : DAEMONS.keySet()) {
            cluster.awaitNode(n, "Ready", cluster.member(n));
        }
        // while it is in flight the target's capacity is the migration's
        Eventually.until("node " + target + " to hold the migration's reservation again, or the migration to end",
                Duration.ofSeconds(20), () -> allocatedMemory(target) >= targetBefore + (128L << 20)
                        || !migration(id).path("phase").asText().equals("Running"));
        JsonNode ended = awaitMigration(id, Duration.ofSeconds(120));
        Api.Response vm = api.awaitPhase(NAME, "Running", Duration.ofSeconds(60));
        String where = vm.at("/status/node").asText();
        String after = heartbeatGoesOn(NAME);
        // the source's console log goes on, the target's starts empty at the migration: a boot would add a line
        assertTrue(bootLines(after) <= bootsBefore, "not booted again:\n" + after);
        Eventually.until("the sampler to see the guest on " + where + " only", Duration.ofSeconds(10),
                () -> sampler.runningOn(uid).equals(List.of(where)));
        assertEquals("gone", domainState(other(where)), "no domain left where it does not run");
        Eventually.until("one placement of the VM to be reserved, and no target", Duration.ofSeconds(20),
                () -> allocatedMemory(source) + allocatedMemory(target) == sourceBefore + targetBefore);
        noDoubles();
        System.out.printf("CONTROL-PLANE-KILLED migration %s %s: %s; the guest runs on %s (source %s)%n", id,
                ended.path("phase").asText(), ended.path("reason").asText(""), where, source);
        stepsDone = 7;
    }

    /**
     * The control plane killed -9 as a migration starts; the migration completes while it is down (the source's
     * report of it goes nowhere): the restarted control plane asks the source, then the target, and the VM runs on
     * the target under the new incarnation.
     */
    @Test
    @Order(8)
    void aMigrationThatCompletesWhileTheControlPlaneIsDownEndsOnTheTarget() throws Exception {
        requireStep(7);
        String source = node();
        String target = other(source);
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        Api.Response accepted = migrate("{\"targetNode\": \"" + target + "\"}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to start", MIGRATION, () -> migration(id),
                m -> !m.path("phase").asText().matches("Pending|Scheduled"));
        cluster.controlPlane().kill();
        // the switchover comes within seconds; on a starved machine the nodes' leases may run out first (their
        // watchdogs pause the guest, and it arrives paused): then it is the case of the test before
        boolean movedWhileDown;
        try {
            Eventually.until("the guest to run on " + target + " only", Duration.ofSeconds(20),
                    () -> sampler.runningOn(uid).equals(List.of(target)));
            movedWhileDown = true;
        } catch (AssertionError notYet) {
            movedWhileDown = false;
        }
        cluster.restartControlPlane();
        JsonNode ended = awaitMigration(id, Duration.ofSeconds(120));
        Api.Response vm = api.awaitPhase(NAME, "Running", Duration.ofSeconds(60));
        String where = vm.at("/status/node").asText();
        if (movedWhileDown) {
            assertEquals("Succeeded", ended.path("phase").asText(), ended::toString);
            assertEquals(target, where, "the entity knows where it runs");
            assertEquals(incarnation + 1, vm.incarnation());
        }
        heartbeatGoesOn(NAME);
        assertEquals("gone", domainState(other(where)), "no domain left where it does not run");
        Eventually.until("the sampler to see the guest on " + where + " only", Duration.ofSeconds(10),
                () -> sampler.runningOn(uid).equals(List.of(where)));
        noDoubles();
        for (String n : DAEMONS.keySet()) {
            cluster.awaitNode(n, "Ready", cluster.member(n));
        }
        System.out.printf("CONTROL-PLANE-KILLED (moved while it was down: %s) migration %s %s: %s; the guest runs on"
                + " %s (source %s)%n", movedWhileDown, id, ended.path("phase").asText(), ended.path("reason").asText(""),
                where, source);
        stepsDone = 8;
    }

    /**
     * The target's node runtime killed -9 mid-migration and started again: the source's runtime holds the connection
     * to the target's libvirt daemon, so the job goes on; the restarted target runtime adopts the domain. Exactly one
     * domain runs, where the entity says.
     */
    @Test
    @Order(9)
    void aTargetNodeRuntimeKilledMidMigrationLeavesExactlyOneRunningGuestThatTheEntityKnows() throws Exception {
        requireStep(8);
        String source = node();
        String target = other(source);
        Api.Response accepted = migrate("{\"targetNode\": \"" + target + "\", \"bandwidthMiBps\": 4}");
        assertEquals(202, accepted.status(), accepted::toString);
        String id = accepted.at("/migrationId").asText();
        Eventually.get("migration " + id + " to be under way", MIGRATION, () -> migration(id),
                m -> m.path("phase").asText().equals("Running") && m.has("progress"));
        VireoCluster.Member crashed = cluster.member(target);
        crashed.kill();
        VireoCluster.Member again = cluster.restart(crashed);
        again.awaitReconciled(Duration.ofSeconds(120));
        cluster.awaitNode(target, "Ready", again);
        JsonNode ended = awaitMigration(id, Duration.ofSeconds(120));
        Api.Response vm = api.awaitPhase(NAME, "Running");
        String where = vm.at("/status/node").asText();
        heartbeatGoesOn(NAME);
        Eventually.until("the sampler to see the guest on " + where + " only", Duration.ofSeconds(10),
                () -> sampler.runningOn(uid).equals(List.of(where)));
        assertEquals("gone", domainState(other(where)), "no domain left where it does not run");
        noDoubles();
        System.out.printf("TARGET-KILLED migration %s %s: %s; the guest runs on %s (source %s)%n", id,
                ended.path("phase").asText(), ended.path("reason").asText(""), where, source);
        stepsDone = 9;
    }

    /**
     * Drain of a node with three LiveMigrate guests: all three move live to the other node (two at a time out of one
     * node, the third queued), the report lists each, every heartbeat goes on, and the node is left with none.
     */
    @Test
    @Order(10)
    void drainOfANodeWithThreeGuestsMovesAllThreeLive() {
        requireStep(9);
        String drained = node();
        String other = other(drained);
        List<String> names = List.of(NAME, NAME + "-2", NAME + "-3");
        // the two others are placed beside the first: the other node is cordoned while they are
        assertEquals(200, api.post("/api/v1/nodes/" + other + "/cordon", Api.JSON_TYPE, "", null).status());
        try {
            for (String name : names.subList(1, 3)) {
                GuestNodes.createMovableGuest(api, name);
            }
            for (String name : names.subList(1, 3)) {
                api.awaitPhase(name, "Running", BOOT);
                QemuGuests.awaitConsole(api, name, RealGuestTest.BOOT_LINE + " hostname=" + name, BOOT);
                assertEquals(drained, api.get(Api.vm(name)).at("/status/node").asText());
            }
        } finally {
            assertEquals(200, api.post("/api/v1/nodes/" + other + "/uncordon", Api.JSON_TYPE, "", null).status());
        }
        Map<String, Long> incarnations = new java.util.HashMap<>();
        names.forEach(n -> incarnations.put(n, api.get(Api.vm(n)).incarnation()));
        Api.Response answer = api.post("/api/v1/nodes/" + drained + "/drain", Api.JSON_TYPE, "", null);
        assertEquals(202, answer.status(), answer::toString);
        Map<String, String> migrations = new java.util.HashMap<>();
        answer.at("/items").forEach(item -> {
            assertEquals("Migrating", item.path("action").asText(), answer::toString);
            migrations.put(item.path("vm").asText(), item.path("migrationId").asText());
        });
        assertEquals(names.stream().map(n -> "default/" + n).collect(java.util.stream.Collectors.toSet()),
                migrations.keySet(), answer::toString);
        for (String name : names) {
            String id = migrations.get("default/" + name);
            JsonNode done = Eventually.get("migration " + id + " of " + name + " to end", Duration.ofSeconds(120),
                    () -> api.get(Api.vm(name) + "/migrations/" + id).json(),
                    m -> List.of("Succeeded", "Failed", "Cancelled").contains(m.path("phase").asText()));
            assertEquals("Succeeded", done.path("phase").asText(), done::toString);
            Api.Response vm = api.awaitPhase(name, "Running");
            assertEquals(other, vm.at("/status/node").asText(), name);
            assertEquals(incarnations.get(name) + 1, vm.incarnation(), name);
            String vmUid = vm.at("/metadata/uid").asText();
            Eventually.until(name + " to run on " + other + " only", Duration.ofSeconds(10),
                    () -> sampler.runningOn(vmUid).equals(List.of(other)));
        }
        for (String name : names) {
            String after = heartbeatGoesOn(name);
            assertFalse(after.contains(RealGuestTest.BOOT_LINE), name + " booted again:\n" + after);
        }
        Eventually.get("node " + drained + " to run no VM", Duration.ofSeconds(10), () -> cluster.node(drained),
                n -> n.path("virtualMachines").isEmpty() && n.path("cordoned").asBoolean());
        noDoubles();
        assertEquals(200, api.post("/api/v1/nodes/" + drained + "/uncordon", Api.JSON_TYPE, "", null).status());
        for (String name : names.subList(1, 3)) {
            Api.Response deleted = api.delete(Api.vm(name));
            assertTrue(deleted.status() == 200 || deleted.status() == 202, deleted::toString);
        }
        stepsDone = 10;
    }

    /** The target host dies mid-migration (its daemon and QEMUs killed -9): the guest runs on where it ran. */
    @Test
    @Order(11)
    void aTargetHostThatDiesMidMigrationLeavesTheGuestOnTheSource() {
        requireStep(9); // not on the drain (10): this step needs the first guest running, wherever it is
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

    /** The console of {@code name} shows a newer heartbeat than now, within 60 s; returns that console. */
    private static String heartbeatGoesOn(String name) {
        return nodes.heartbeatGoesOn(name, "after the migration");
    }

    private static long bootLines(String console) {
        return console.lines().filter(l -> l.contains(RealGuestTest.BOOT_LINE)).count();
    }

    /** The memory reserved on {@code node} (its VMs' and the migration targets' it holds). */
    private static long allocatedMemory(String node) {
        return cluster.node(node).path("allocated").path("memoryBytes").asLong();
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
        return nodes.console(NAME);
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
