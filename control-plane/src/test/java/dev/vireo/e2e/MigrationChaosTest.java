package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Live migrations back and forth between two nodes (two libvirt daemons of their own, real TCG guests) while, at
 * random moments, the source's node runtime, the target's node runtime or the control plane is killed -9 and started
 * again. The independent {@link DomainSampler} lists both daemons' running domains every 50 ms throughout: no VM may
 * ever run on both; at the end each (runStrategy Always) VM runs exactly once, where its entity says, its heartbeat
 * going on.
 *
 * <p>CI runs {@code vireo.chaos.migrations} = 20 (a few minutes). The long mode is the same test with more:
 * {@code bin/soak migration --count 2000} (docs/migration.md). The seed is printed first; {@code -Dvireo.chaos.seed=S}
 * runs the same choices again (the moments the processes answer at are the machine's own).
 */
class MigrationChaosTest {

    static final int MIGRATIONS = Integer.getInteger("vireo.chaos.migrations", 20);
    static final long SEED = Long.getLong("vireo.chaos.seed", System.nanoTime());
    /** The share of migrations during which something is killed. */
    static final double KILL_RATE = Double.parseDouble(System.getProperty("vireo.chaos.kill-rate", "0.2"));
    /** Stop early (with the count reached, which the summary says) after this many minutes. */
    static final long MINUTES = Long.getLong("vireo.chaos.minutes", 60L * 24);
    static final Duration BOOT = Duration.ofSeconds(240);
    static final Duration SETTLE = Duration.ofSeconds(240);
    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    static final Map<String, String> DAEMONS = Map.of("ca", "ch-a-" + SUFFIX, "cb", "ch-b-" + SUFFIX);
    static final List<String> VMS = List.of(Manifests.uniqueName("chaos"), Manifests.uniqueName("chaos"));

    enum Kill { SOURCE_RUNTIME, TARGET_RUNTIME, CONTROL_PLANE }

    static GuestNodes nodes;
    static VireoCluster cluster;
    static Api api;
    static DomainSampler sampler;

    @BeforeAll
    static void startTwoDaemonsAndTheirNodes() throws Exception {
        System.out.printf("MIGRATION-CHAOS seed=%d migrations=%d kill-rate=%.2f (-Dvireo.chaos.seed=%d repeats the"
                + " choices)%n", SEED, MIGRATIONS, KILL_RATE, SEED);
        nodes = GuestNodes.start("the migration chaos test", DAEMONS, Duration.ofMillis(50));
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
    void migrationsBackAndForthWithKillsAtRandomMomentsNeverRunAGuestTwice() throws Exception {
        Random random = new Random(SEED);
        for (String name : VMS) {
            GuestNodes.createMovableGuest(api, name);
        }
        for (String name : VMS) {
            api.awaitPhase(name, "Running", BOOT);
            QemuGuests.awaitConsole(api, name, RealGuestTest.BOOT_LINE + " hostname=" + name, BOOT);
        }
        Instant started = Instant.now();
        Instant stopAt = started.plus(Duration.ofMinutes(MINUTES));
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<Kill, Integer> kills = new TreeMap<>();
        int migrations = 0;
        for (int i = 0; migrations < MIGRATIONS && i < 2 * MIGRATIONS && Instant.now().isBefore(stopAt); i++) {
            String name = VMS.get(random.nextInt(VMS.size()));
            // the kinds take turns (a short run still kills each), the migrations and moments are drawn
            int killed = kills.values().stream().mapToInt(Integer::intValue).sum();
            // a short run kills each kind at least once: the last steps kill when the draw did not
            boolean mustKill = MIGRATIONS - migrations <= Kill.values().length - killed;
            Kill kill = random.nextDouble() < KILL_RATE || mustKill ? Kill.values()[killed % Kill.values().length]
                    : null;
            long delayMs = random.nextInt(5000);
            String step = "step " + i + " (seed " + SEED + "): " + name;
            Api.Response vm = api.awaitPhase(name, "Running", SETTLE);
            String source = vm.at("/status/node").asText();
            String target = other(source);
            Api.Response accepted = api.post(Api.vm(name) + "/migrate", Api.JSON_TYPE,
                    "{\"targetNode\": \"" + target + "\"}", null);
            if (accepted.status() != 202) {
                // a node not back yet (not ready, or lost and coming back): not a migration; the next step waits
                System.out.printf("MIGRATION-CHAOS %s: migrate refused (%d): %s%n", step, accepted.status(),
                        accepted.text());
                awaitNodesReady();
                continue;
            }
            migrations++;
            String id = accepted.at("/migrationId").asText();
            if (kill != null) {
                Thread.sleep(delayMs);
                kill(kill, source, target);
                kills.merge(kill, 1, Integer::sum);
            }
            JsonNode ended = Eventually.get(step + ": migration " + id + " to end", SETTLE,
                    () -> api.get(Api.vm(name) + "/migrations/" + id).json(),
                    m -> List.of("Succeeded", "Failed", "Cancelled").contains(m.path("phase").asText()));
            String phase = ended.path("phase").asText();
            outcomes.merge(phase, 1, Integer::sum);
            System.out.printf("MIGRATION-CHAOS %s %s -> %s, %s: %s %s%n", step, source, target,
                    kill == null ? "no kill" : "kill -9 of the " + kill + " after " + delayMs + " ms", phase,
                    ended.path("reason").asText(""));
            assertNoDoubles(step);
            if (kill != null) {
                awaitNodesReady();
            }
            heartbeatGoesOn(step, name);
        }
        // the end: each VM runs exactly once, where its entity says, and goes on
        for (String name : VMS) {
            Api.Response vm = api.awaitPhase(name, "Running", SETTLE);
            String where = vm.at("/status/node").asText();
            String uid = vm.at("/metadata/uid").asText();
            Eventually.until(name + " to run on " + where + " only (seed " + SEED + ")", Duration.ofSeconds(30),
                    () -> sampler.runningOn(uid).equals(List.of(where)));
            nodes.heartbeatGoesOn(name, "the end (seed " + SEED + ")");
        }
        assertNoDoubles("the end");
        long seconds = Duration.between(started, Instant.now()).toSeconds();
        System.out.printf("MIGRATION-CHAOS summary: seed=%d migrations=%d kills=%s outcomes=%s samples=%d doubles=0"
                        + " elapsed=%d s load=%s%n", SEED, migrations, kills, outcomes, sampler.samples(), seconds,
                QemuGuests.run("cat", "/proc/loadavg"));
        assertTrue(migrations == MIGRATIONS || Instant.now().isAfter(stopAt),
                "only " + migrations + " migrations were accepted of " + MIGRATIONS + " (seed " + SEED + ")");
    }

    /**
     * After each migration the guest goes on where its entity says it runs: a guest that arrived but stopped (its
     * console silent) would otherwise pass unseen until the end, or not at all once a later migration moved it again.
     */
    private static void heartbeatGoesOn(String step, String name) {
        api.awaitPhase(name, "Running", SETTLE);
        nodes.heartbeatGoesOn(name, step);
    }

    private static void kill(Kill kill, String source, String target) throws Exception {
        switch (kill) {
            case SOURCE_RUNTIME, TARGET_RUNTIME -> {
                VireoCluster.Member node = cluster.member(kill == Kill.SOURCE_RUNTIME ? source : target);
                node.kill();
                VireoCluster.Member again = cluster.restart(node);
                // the next migration must not go to the dead runtime, which the control plane may still list as Ready
                // for a few seconds: a command delivered to it is lost (a PrepareMigration lost so leaves its
                // migration Scheduled for ever; docs/migration.md, "Not yet")
                again.awaitReconciled(SETTLE);
            }
            case CONTROL_PLANE -> {
                cluster.controlPlane().kill();
                cluster.restartControlPlane();
            }
        }
    }

    private static void awaitNodesReady() {
        for (String node : DAEMONS.keySet()) {
            cluster.awaitNode(node, "Ready", cluster.member(node));
        }
    }

    private static void assertNoDoubles(String when) {
        List<DomainSampler.Double> doubles = sampler.doubles();
        if (!doubles.isEmpty()) {
            fail("a VM ran on two nodes at once (" + when + ", seed " + SEED + ", " + sampler.samples() + " samples): "
                    + new ArrayList<>(doubles));
        }
    }

    private static String other(String node) {
        return node.equals("ca") ? "cb" : "ca";
    }
}
