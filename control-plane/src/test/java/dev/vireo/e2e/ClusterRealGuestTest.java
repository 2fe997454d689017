package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
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
 * The rule that a VM never runs on two nodes at once, with real guests: two libvirt daemons of their own
 * ({@code deploy/libvirt-node.sh}), each the hypervisor of one {@code vireo node}, one control plane, and one
 * TCG guest that survives a partition, a crash of its node runtime and the death of its host. An independent
 * {@link DomainSampler} lists both daemons' running domains every 100 ms throughout and fails the test if the
 * guest is ever running in two places. Lean on purpose: one guest, three boots.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterRealGuestTest {

    static final Duration BOOT = Duration.ofSeconds(180);
    static final Duration FAILOVER = Duration.ofSeconds(120);
    static final String NAME = Manifests.uniqueName("hop");
    static final String DOMAIN = "default_" + NAME;

    static final String SUFFIX = UUID.randomUUID().toString().substring(0, 6);
    /** node name -> its libvirt daemon's name (deploy/libvirt-node.sh) */
    static final Map<String, String> DAEMONS = Map.of("na", "vt-a-" + SUFFIX, "nb", "vt-b-" + SUFFIX);
    static GuestNodes nodes;
    static VireoCluster cluster;
    static Api api;
    static DomainSampler sampler;
    static String uid;
    static int stepsDone;

    @BeforeAll
    static void startTwoDaemonsAndTheirNodes() throws Exception {
        nodes = GuestNodes.start("multi-node real-guest tests", DAEMONS, Duration.ofMillis(100));
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
    void aGuestBootsOnANodeAndItsConsoleComesThroughTheControlPlane() {
        Api.Response created = api.create("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "memory": "128Mi", "terminationGracePeriodSeconds": 5,
                  "boot": {"kernel": "vmlinuz", "initrd": "initrd.img", "cmdline": "console=ttyS0 hostname=%s"}}}
                """.formatted(NAME, NAME));
        assertEquals(201, created.status(), created::toString);
        uid = created.at("/metadata/uid").asText();
        api.awaitPhase(NAME, "Running", BOOT);
        // the log is on the node's disk; the control plane reads it through the node runtime
        QemuGuests.awaitConsole(api, NAME, RealGuestTest.BOOT_LINE + " hostname=" + NAME, BOOT);
        assertEquals(List.of(node()), sampler.runningOn(uid));
        noDoubles();
        stepsDone = 1;
    }

    /** SIGSTOP of the node JVM for longer than its lease: fenced by its watchdog, restarted elsewhere, never twice. */
    @Test
    @Order(2)
    void aFrozenNodeIsFencedItsGuestRunsElsewhereAndOnReturnItDestroysItsCopy() throws Exception {
        requireStep(1);
        String frozen = node();
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        VireoCluster.Member member = cluster.member(frozen);
        member.suspend();
        try {
            awaitRunningElsewhere(frozen, incarnation);
            assertEquals("paused", domainState(frozen), "the frozen node's copy is fenced, not running");
        } finally {
            member.resume();
        }
        Eventually.get("the returning node to destroy its stale copy", FAILOVER, () -> domainState(frozen),
                "gone"::equals);
        cluster.awaitNode(frozen, "Ready", member);
        Eventually.get("the returning node to say it destroyed its copy", Duration.ofSeconds(30), member::logText,
                log -> log.contains("destroyed default/" + NAME + " incarnation " + incarnation));
        QemuGuests.awaitConsole(api, NAME, RealGuestTest.BOOT_LINE + " hostname=" + NAME, BOOT);
        noDoubles();
        stepsDone = 2;
    }

    /** kill -9 of the node JVM, libvirt and the guest keep running: the restarted runtime adopts the guest, no reboot. */
    @Test
    @Order(3)
    void aNodeRuntimeThatCrashedAdoptsItsGuestWithoutAReboot() throws Exception {
        requireStep(2);
        String node = node();
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        long qemu = qemuPid(node);
        String console = api.get(Api.vm(NAME) + "/console?follow=false").text();
        VireoCluster.Member crashed = cluster.member(node);
        crashed.kill();
        VireoCluster.Member again = cluster.restart(crashed);
        cluster.awaitNode(node, "Ready", again);
        Api.Response after = api.awaitPhase(NAME, "Running");
        assertEquals(node, after.at("/status/node").asText());
        assertEquals(incarnation, after.incarnation(), "the same placement: adopted, not started again");
        assertEquals(qemu, qemuPid(node), "the same QEMU process: no reboot");
        int heartbeat = lastHeartbeat(console);
        String later = Eventually.get("the guest's heartbeat to go on", Duration.ofSeconds(60),
                () -> api.get(Api.vm(NAME) + "/console?follow=false").text(), text -> lastHeartbeat(text) > heartbeat);
        assertEquals(1, count(later, RealGuestTest.BOOT_LINE), "booted once");
        assertTrue(later.startsWith(console.substring(0, Math.min(console.length(), 200))), "the same boot's log");
        assertEquals("Running", api.get(Api.vm(NAME)).phase(), "a pause by the fence is not the guest's");
        noDoubles();
        stepsDone = 3;
    }

    /** The node runtime, its libvirt daemon and its QEMU all killed -9: the guest runs on the other node. */
    @Test
    @Order(4)
    void whenAHostDiesItsGuestRunsOnTheOtherNode() throws Exception {
        requireStep(3);
        String dead = node();
        long incarnation = api.get(Api.vm(NAME)).incarnation();
        VireoCluster.Member member = cluster.member(dead);
        long watchdog = member.watchdog().orElseThrow();
        member.kill();
        QemuGuests.run("kill", "-9", Long.toString(watchdog));
        nodes.killHost(dead);
        String survivor = awaitRunningElsewhere(dead, incarnation);
        QemuGuests.awaitConsole(api, NAME, RealGuestTest.BOOT_LINE + " hostname=" + NAME, BOOT);
        assertEquals(List.of(survivor), sampler.runningOn(uid));
        assertEquals("Lost", cluster.node(dead).path("state").asText());
        assertTrue(QemuGuests.eventTypes(api, NAME).contains("NodeLost"));
        noDoubles();
    }

    private static String awaitRunningElsewhere(String from, long incarnation) {
        Api.Response moved = Eventually.get(NAME + " running on a node other than " + from, FAILOVER,
                () -> api.get(Api.vm(NAME)), r -> "Running".equals(r.phase())
                        && !from.equals(r.at("/status/node").asText()) && r.incarnation() > incarnation);
        return moved.at("/status/node").asText();
    }

    private static String node() {
        return api.get(Api.vm(NAME)).at("/status/node").asText();
    }

    private static String domainState(String node) {
        return nodes.domainState(node, DOMAIN);
    }

    private static long qemuPid(String node) throws IOException {
        return Long.parseLong(Files.readString(nodes.daemonDir(node).resolve("run/qemu/" + DOMAIN + ".pid"))
                .trim());
    }

    private static void noDoubles() {
        nodes.noDoubles();
    }

    private static int lastHeartbeat(String console) {
        return GuestNodes.lastHeartbeat(console);
    }

    private static int count(String text, String what) {
        int n = 0;
        for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
            n++;
        }
        return n;
    }

    private static void requireStep(int step) {
        Assumptions.assumeTrue(stepsDone >= step, "an earlier step failed; this one builds on it");
    }
}
