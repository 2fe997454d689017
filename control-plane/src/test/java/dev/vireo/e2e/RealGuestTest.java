package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.e2e.Api.Response;
import dev.vireo.testkit.Prerequisite;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Real QEMU guests (TCG where KVM does not work) through the libvirt daemon at qemu:///system, driven over
 * HTTP: one guest's life from boot to stop, with a crash of its QEMU process and a restart of Vireo in
 * between. Needs a libvirt daemon and the guest image of {@code deploy/guest-image.sh}; {@code bin/test}
 * as root provides both ({@code deploy/host-setup.sh build}). Lean on purpose: two boots in all.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealGuestTest {

    static final String HYPERVISOR = "qemu:///system";
    static final String BOOT_LINE = "VIREO-GUEST-BOOTED";
    static final Duration BOOT = Duration.ofSeconds(180);
    static final Pattern HEARTBEAT = Pattern.compile("VIREO-GUEST-HEARTBEAT n=(\\d+)");

    static Path images;
    static Path dataDir;
    static Vireo vireo;
    static Api api;
    static Map<String, String> baseImageSums;
    static final String NAME = Manifests.uniqueName("guest");
    static final String DOMAIN = "default_" + NAME;
    /** The steps build on each other: after a failed one the later ones are skipped, not failed again. */
    static int stepsDone;
    static long incarnationBeforeRestart;
    static long qemuPidBeforeRestart;

    @BeforeAll
    static void startVireoOnQemu() throws Exception {
        images = imagesDir();
        Prerequisite.require(Files.isRegularFile(images.resolve("vmlinuz"))
                        && Files.isRegularFile(images.resolve("initrd.img"))
                        && Files.isRegularFile(images.resolve("disk.qcow2")),
                "real-guest tests skipped: no guest image in " + images + "; build it with deploy/guest-image.sh "
                        + images + " (bin/test does, as root)");
        String answer = QemuGuests.run("virsh", "-c", HYPERVISOR, "uri");
        Prerequisite.require(answer != null && answer.contains(HYPERVISOR),
                "real-guest tests skipped: no libvirt daemon answers at " + HYPERVISOR + " (virsh -c " + HYPERVISOR
                        + " uri); as root, deploy/host-setup.sh build installs and starts one");
        baseImageSums = sums(images);
        // QEMU runs as libvirt's own user: it must reach the overlays and console logs under the data dir
        dataDir = Files.createTempDirectory("vireo-real-guest-",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x")));
        startVireo();
    }

    @AfterAll
    static void stopVireo() throws IOException {
        if (vireo != null) {
            vireo.close();
        }
        if (dataDir != null) {
            // whatever a failed test left running must not outlive it
            QemuGuests.run("virsh", "-c", HYPERVISOR, "destroy", DOMAIN);
            QemuGuests.run("virsh", "-c", HYPERVISOR, "undefine", DOMAIN, "--nvram");
            RunningVireo.deleteRecursively(dataDir);
        }
    }

    @Test
    @Order(1)
    void aGuestBootsAndItsConsoleShowsTheBootLine() {
        step(1);
        String halted = Manifests.uniqueName("halted");
        assertEquals(201, api.create(manifest(halted, "Halted")).status());
        Response none = api.get(Api.vm(halted) + "/console?follow=false");
        assertEquals(409, none.status(), none::toString);
        assertTrue(none.at("/message").asText().contains("has not booted"), none::toString);

        long created = System.nanoTime();
        Response r = api.create(manifest(NAME, "Always"));
        assertEquals(201, r.status(), r::toString);
        api.awaitPhase(NAME, "Running", BOOT);
        long running = System.nanoTime();
        String console = QemuGuests.awaitConsole(api, NAME, BOOT_LINE + " hostname=" + NAME, BOOT);
        long booted = System.nanoTime();
        System.out.printf("real guest: create -> Running %d ms, create -> console boot line %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(running - created), TimeUnit.NANOSECONDS.toMillis(booted - created));
        assertTrue(console.indexOf(BOOT_LINE) == console.lastIndexOf(BOOT_LINE), "one boot so far:\n" + console);
        assertEquals(1, QemuGuests.qemuPids(DOMAIN).size(), "one QEMU process runs the guest");

        // the CLI reads the same console
        java.io.StringWriter out = new java.io.StringWriter();
        picocli.CommandLine cli = dev.vireo.cli.VireoCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        assertEquals(0, cli.execute("console", NAME, "--server", "http://127.0.0.1:" + vireo.port(), "--token", api.token()));
        assertTrue(out.toString().contains(BOOT_LINE + " hostname=" + NAME), out::toString);

        // following: heartbeats written after the request arrive on the open stream
        int seenBefore = lastHeartbeat(api.get(Api.vm(NAME) + "/console?follow=false").text());
        List<String> followed = new CopyOnWriteArrayList<>();
        Thread reader = follow(followed);
        try {
            Eventually.until("the followed console to show a heartbeat after n=" + seenBefore, Duration.ofSeconds(60),
                    () -> lastHeartbeat(String.join("\n", followed)) > seenBefore);
            assertTrue(followed.get(0).contains(BOOT_LINE) || String.join("\n", followed).contains(BOOT_LINE),
                    "the followed console starts at the start of the boot: " + followed);
        } finally {
            reader.interrupt();
        }
        stepsDone = 1;
    }

    @Test
    @Order(2)
    void aKilledQemuIsACrashAndAlwaysBootsTheGuestAgain() {
        step(2);
        List<Long> pids = QemuGuests.qemuPids(DOMAIN);
        assertEquals(1, pids.size(), "one QEMU process: " + pids);
        QemuGuests.run("kill", "-9", String.valueOf(pids.get(0)));

        Eventually.until("DomainCrashed in the history of " + NAME, Duration.ofSeconds(60),
                () -> QemuGuests.eventTypes(api, NAME).contains("DomainCrashed"));
        Eventually.until(NAME + " to boot again", BOOT, () -> {
            List<String> types = QemuGuests.eventTypes(api, NAME);
            int crash = types.lastIndexOf("DomainCrashed");
            return types.subList(crash, types.size()).contains("DomainStarted")
                    && "Running".equals(api.get(Api.vm(NAME)).phase());
        });
        String console = QemuGuests.awaitConsole(api, NAME, BOOT_LINE, BOOT);
        // the console shows the current boot only
        assertEquals(console.indexOf(BOOT_LINE), console.lastIndexOf(BOOT_LINE), console);
        List<Long> after = QemuGuests.qemuPids(DOMAIN);
        assertEquals(1, after.size(), "one QEMU process after the restart: " + after);
        assertTrue(!after.contains(pids.get(0)), "a new QEMU process: " + after + " (killed " + pids + ")");
        stepsDone = 2;
    }

    @Test
    @Order(3)
    void vireoRestartedWhileTheGuestRunsAdoptsItWithoutASecondQemu() throws Exception {
        step(3);
        Response before = api.awaitPhase(NAME, "Running", BOOT);
        incarnationBeforeRestart = before.incarnation();
        List<Long> pids = QemuGuests.qemuPids(DOMAIN);
        assertEquals(1, pids.size(), pids::toString);
        qemuPidBeforeRestart = pids.get(0);
        int heartbeat = lastHeartbeat(QemuGuests.awaitConsole(api, NAME, BOOT_LINE, BOOT));

        vireo.close();
        vireo = null;
        assertEquals(List.of(qemuPidBeforeRestart), QemuGuests.qemuPids(DOMAIN), "the guest outlives Vireo");
        startVireo();

        Response after = api.awaitPhase(NAME, "Running", Duration.ofSeconds(60));
        assertEquals(incarnationBeforeRestart, after.incarnation(), after::toString);
        // a few looks over some seconds: no second QEMU appears, the first is never replaced
        for (int i = 0; i < 5; i++) {
            assertEquals(List.of(qemuPidBeforeRestart), QemuGuests.qemuPids(DOMAIN), "exactly the one QEMU process");
            Thread.sleep(1000);
        }
        String console = api.get(Api.vm(NAME) + "/console?follow=false").text();
        assertEquals(console.indexOf(BOOT_LINE), console.lastIndexOf(BOOT_LINE), "no reboot:\n" + console);
        assertTrue(lastHeartbeat(console) > heartbeat, "the guest kept running:\n" + console);
        assertEquals(incarnationBeforeRestart, api.get(Api.vm(NAME)).incarnation());
        stepsDone = 3;
    }

    @Test
    @Order(4)
    void stopShutsTheGuestDown() {
        step(4);
        Response stop = api.action(NAME, "stop");
        assertEquals(202, stop.status(), stop::toString);
        api.awaitPhase(NAME, "Stopped", Duration.ofSeconds(90));
        Eventually.until("the QEMU process of " + NAME + " to end", Duration.ofSeconds(30),
                () -> QemuGuests.qemuPids(DOMAIN).isEmpty());
        List<String> types = QemuGuests.eventTypes(api, NAME);
        assertTrue(types.lastIndexOf("DomainStopped") > types.lastIndexOf("StopRequested"), types::toString);
        stepsDone = 4;
    }

    @Test
    @Order(5)
    void theBaseImagesAreNeverWritten() throws Exception {
        assertEquals(baseImageSums, sums(images));
    }

    // ---- helpers ----

    private static void step(int n) {
        Assumptions.assumeTrue(stepsDone == n - 1, "skipped: step " + (stepsDone + 1) + " of this guest's life failed");
    }

    private static void startVireo() throws Exception {
        Map<String, Object> config = Map.of("vireo.vm.backoff-base", "1s", "vireo.vm.backoff-max", "2s");
        vireo = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, HYPERVISOR, images, 0, "local", config));
        assertEquals(HYPERVISOR, vireo.hypervisor());
        api = new Api(vireo.port());
        RunningVireo.awaitReady(api, Duration.ofSeconds(60));
    }

    private static String manifest(String name, String runStrategy) {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s", "labels": {"suite": "real-guest"}},
                 "spec": {"runStrategy": "%s", "cpu": {"cores": 1}, "memory": "128Mi",
                          "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 hostname=%s"},
                          "disks": [{"name": "data", "image": "%s"}],
                          "terminationGracePeriodSeconds": 30}}
                """.formatted(name, runStrategy, images.resolve("vmlinuz"), images.resolve("initrd.img"), name,
                        images.resolve("disk.qcow2"));
    }

    /** Reads the followed console on a thread of its own, line by line, until interrupted. */
    private static Thread follow(List<String> lines) {
        Thread reader = new Thread(() -> {
            try {
                HttpResponse<InputStream> r = api.http().send(api.request(Api.vm(NAME) + "/console")
                        .timeout(Duration.ofMinutes(5)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
                try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null && !Thread.currentThread().isInterrupted();
                         line = in.readLine()) {
                        lines.add(line);
                    }
                }
            } catch (IOException | InterruptedException e) {
                lines.add("(stream ended: " + e + ")");
            }
        }, "console-follower");
        reader.setDaemon(true);
        reader.start();
        return reader;
    }

    private static int lastHeartbeat(String console) {
        int last = 0;
        Matcher m = HEARTBEAT.matcher(console);
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    private static Map<String, String> sums(Path dir) throws Exception {
        Map<String, String> sums = new TreeMap<>();
        for (String f : List.of("vmlinuz", "initrd.img", "disk.qcow2")) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sums.put(f, HexFormat.of().formatHex(sha.digest(Files.readAllBytes(dir.resolve(f)))));
        }
        return sums;
    }

    /** Where deploy/guest-image.sh put the image for the tests: VIREO_GUEST_IMAGES, else the repository's vireo-data/images. */
    static Path imagesDir() {
        String given = System.getenv("VIREO_GUEST_IMAGES");
        if (given != null && !given.isBlank()) {
            return Path.of(given).toAbsolutePath();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("deploy/guest-image.sh"))) {
            dir = dir.getParent();
        }
        return (dir != null ? dir : Path.of("").toAbsolutePath()).resolve("vireo-data/images");
    }

}
