package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.e2e.Api.Response;
import dev.vireo.testkit.LibvirtSocketProxy;
import dev.vireo.testkit.Prerequisite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
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
        Prerequisite.require(Files.isRegularFile(images.resolve("vmlinuz"))
                        && Files.isRegularFile(images.resolve("initrd.img")),
                "hypervisor outage test skipped: no guest image in " + images + "; build it with deploy/guest-image.sh "
                        + images + " (bin/test does, as root)");
        String answer = QemuGuests.run("virsh", "-c", DAEMON_URI, "uri");
        Prerequisite.require(answer != null && answer.contains(DAEMON_URI),
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
            QemuGuests.run("virsh", "-c", DAEMON_URI, "destroy", DOMAIN);
            QemuGuests.run("virsh", "-c", DAEMON_URI, "undefine", DOMAIN, "--nvram");
            RunningVireo.deleteRecursively(dataDir);
        }
    }

    @Test
    void aLostLibvirtDaemonMakesTheNodeNotReadyAndItsVmUnknownAndAllRecoversWithoutAReboot() throws Exception {
        assertEquals(201, api.create(manifest()).status());
        Response running = api.awaitPhase(NAME, "Running", BOOT);
        QemuGuests.awaitConsole(api, NAME, BOOT_LINE + " hostname=" + NAME, BOOT);
        long incarnation = running.incarnation();
        List<Long> qemu = QemuGuests.qemuPids(DOMAIN);
        assertEquals(1, qemu.size(), "one QEMU process runs the guest: " + qemu);
        assertTrue(nodeReady(), "the node is ready while libvirt answers");

        long cut = System.nanoTime();
        relay.close();
        Eventually.until("GET /api/v1/nodes to show the node not ready", NOTICE, () -> !nodeReady());
        long notReady = System.nanoTime();
        Response unknown = api.awaitPhase(NAME, "Unknown", NOTICE);
        long unknownAt = System.nanoTime();
        assertEquals(incarnation, unknown.incarnation(), unknown::toString);
        Eventually.until("NodeUnreachable in the history of " + NAME, HISTORY,
                () -> QemuGuests.eventTypes(api, NAME).contains("NodeUnreachable"));
        assertEquals(qemu, QemuGuests.qemuPids(DOMAIN), "the guest runs on while Vireo cannot see it");

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
            List<String> types = QemuGuests.eventTypes(api, NAME);
            return types.lastIndexOf("NodeReachable") > types.lastIndexOf("NodeUnreachable");
        });
        assertEquals(qemu, QemuGuests.qemuPids(DOMAIN), "the same QEMU process runs the guest");
        String console = QemuGuests.awaitConsole(api, NAME, BOOT_LINE, BOOT);
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

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

}
