package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.e2e.Api.Response;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * libvirtd unreachable, end to end over HTTP: Vireo drives a real guest through a unix-socket relay in
 * front of the machine's libvirt daemon; cutting the relay makes the daemon unreachable for Vireo alone
 * (the shared daemon and the guest keep running). The node turns not ready and its VM Unknown; once the
 * relay is back the VM is Running again as the same incarnation in the same QEMU process, without a
 * reboot. Skipped without a libvirt daemon or the guest image ({@code bin/test} as root provides both).
 */
class HypervisorOutageTest {

    static final String DAEMON_URI = "qemu:///system";
    static final String BOOT_LINE = "VIREO-GUEST-BOOTED";
    static final Duration BOOT = Duration.ofSeconds(180);
    /** Node heartbeat (5 s) plus the agent's ping, or its reconnect back-off (1 s, 2 s, 4 s, ...), plus slack. */
    static final Duration NOTICE = Duration.ofSeconds(60);
    static final Duration HISTORY = Duration.ofSeconds(10);

    static final String NAME = Manifests.uniqueName("outage");
    static final String DOMAIN = "default_" + NAME;

    static Path images;
    static Path dataDir;
    static Path relaySocket;
    static LibvirtSocketProxy relay;
    static Vireo vireo;
    static Api api;

    @BeforeAll
    static void startVireoBehindARelay() throws Exception {
        images = RealGuestTest.imagesDir();
        Assumptions.assumeTrue(Files.isRegularFile(images.resolve("vmlinuz"))
                        && Files.isRegularFile(images.resolve("initrd.img")),
                "hypervisor outage test skipped: no guest image in " + images + "; build it with deploy/guest-image.sh "
                        + images + " (bin/test does, as root)");
        String answer = run("virsh", "-c", DAEMON_URI, "uri");
        Assumptions.assumeTrue(answer != null && answer.contains(DAEMON_URI),
                "hypervisor outage test skipped: no libvirt daemon answers at " + DAEMON_URI + " (virsh -c " + DAEMON_URI
                        + " uri); as root, deploy/host-setup.sh build installs and starts one");
        // QEMU runs as libvirt's own user: it must reach the overlay and console log under the data dir
        dataDir = Files.createTempDirectory("vireo-outage-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        relaySocket = dataDir.resolve("libvirt-relay.sock");
        relay = LibvirtSocketProxy.start(relaySocket);
        String uri = "qemu+unix:///system?socket=" + relaySocket;
        Map<String, Object> config = Map.of("vireo.vm.backoff-base", "1s", "vireo.vm.backoff-max", "2s");
        vireo = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, uri, images, 0, "local", config));
        assertEquals(uri, vireo.hypervisor());
        api = new Api(vireo.port());
        RunningVireo.awaitReady(api, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopEverything() throws IOException {
        if (vireo != null) {
            vireo.close();
        }
        if (relay != null) {
            relay.close();
        }
        if (dataDir != null) {
            // whatever a failed test left running must not outlive it
            run("virsh", "-c", DAEMON_URI, "destroy", DOMAIN);
            run("virsh", "-c", DAEMON_URI, "undefine", DOMAIN, "--nvram");
            RunningVireo.deleteRecursively(dataDir);
        }
    }

    @Test
    void aLostLibvirtDaemonMakesTheNodeNotReadyAndItsVmUnknownAndAllRecoversWithoutAReboot() throws Exception {
        assertEquals(201, api.create(manifest()).status());
        Response running = api.awaitPhase(NAME, "Running", BOOT);
        awaitConsole(BOOT_LINE + " hostname=" + NAME);
        long incarnation = running.incarnation();
        List<Long> qemu = qemuPids();
        assertEquals(1, qemu.size(), "one QEMU process runs the guest: " + qemu);
        assertTrue(nodeReady(), "the node is ready while libvirt answers");

        long cut = System.nanoTime();
        relay.close();
        Eventually.until("GET /api/v1/nodes to show the node not ready", NOTICE, () -> !nodeReady());
        long notReady = System.nanoTime();
        Response unknown = api.awaitPhase(NAME, "Unknown", NOTICE);
        long unknownAt = System.nanoTime();
        assertEquals(incarnation, unknown.incarnation(), unknown::toString);
        Eventually.until("NodeUnreachable in the history of " + NAME, HISTORY, () -> types().contains("NodeUnreachable"));
        assertEquals(qemu, qemuPids(), "the guest runs on while Vireo cannot see it");

        long restored = System.nanoTime();
        relay = LibvirtSocketProxy.start(relaySocket);
        Eventually.until("GET /api/v1/nodes to show the node ready again", NOTICE, HypervisorOutageTest::nodeReady);
        Response back = api.awaitPhase(NAME, "Running", NOTICE);
        long runningAgain = System.nanoTime();
        System.out.printf("hypervisor outage: cut -> node not ready %d ms, cut -> VM Unknown %d ms, "
                        + "restored -> VM Running %d ms%n", ms(notReady - cut), ms(unknownAt - cut),
                ms(runningAgain - restored));

        assertEquals(incarnation, back.incarnation(), "the same incarnation: " + back);
        Eventually.until("NodeReachable after NodeUnreachable in the history of " + NAME, HISTORY, () -> {
            List<String> types = types();
            return types.lastIndexOf("NodeReachable") > types.lastIndexOf("NodeUnreachable");
        });
        assertEquals(qemu, qemuPids(), "the same QEMU process runs the guest");
        String console = awaitConsole(BOOT_LINE);
        assertEquals(console.indexOf(BOOT_LINE), console.lastIndexOf(BOOT_LINE), "no second boot:\n" + console);
    }

    // ---- helpers ----

    private static String manifest() {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s", "labels": {"suite": "hypervisor-outage"}},
                 "spec": {"runStrategy": "Always", "cpu": {"cores": 1}, "memory": "128Mi",
                          "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 hostname=%s"},
                          "terminationGracePeriodSeconds": 30}}
                """.formatted(NAME, images.resolve("vmlinuz"), images.resolve("initrd.img"), NAME);
    }

    /** Whether GET /api/v1/nodes shows this Vireo's one node as ready. */
    private static boolean nodeReady() {
        Response nodes = api.get("/api/v1/nodes");
        assertEquals(200, nodes.status(), nodes::toString);
        JsonNode items = nodes.at("/items");
        assertEquals(1, items.size(), nodes::toString);
        return items.get(0).path("ready").asBoolean();
    }

    private static String awaitConsole(String expected) {
        return Eventually.get("the console of " + NAME + " to show " + expected, BOOT,
                () -> api.get(Api.vm(NAME) + "/console?follow=false"),
                r -> r.status() == 200 && r.text().contains(expected)).text();
    }

    private static List<String> types() {
        List<String> types = new ArrayList<>();
        for (JsonNode e : api.history(NAME)) {
            types.add(e.path("type").asText());
        }
        return types;
    }

    /** The QEMU processes running this test's domain (libvirt names the guest on QEMU's command line). */
    private static List<Long> qemuPids() {
        String out = run("pgrep", "-f", "guest=" + DOMAIN + ",");
        List<Long> pids = new ArrayList<>();
        if (out != null) {
            out.lines().filter(l -> !l.isBlank()).forEach(l -> pids.add(Long.parseLong(l.trim())));
        }
        return pids;
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    /** Runs a command; its standard output, or null when it failed or could not run. */
    private static String run(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(false).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            p.getErrorStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return null;
            }
            return p.exitValue() == 0 ? out : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
