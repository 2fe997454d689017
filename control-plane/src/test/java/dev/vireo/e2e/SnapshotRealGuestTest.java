package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.e2e.Api.Response;
import dev.vireo.testkit.Prerequisite;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Snapshots and restores of a real TCG guest (deploy/guest-image.sh) that counts its boots on its disk and prints a
 * heartbeat: a disk snapshot brings the boot count back, a memory snapshot brings the guest back where it was,
 * without a boot; the base images are never written.
 */
class SnapshotRealGuestTest {

    static final String HYPERVISOR = RealGuestTest.HYPERVISOR;
    static final Duration BOOT = Duration.ofSeconds(120);
    static final Pattern BOOT_COUNT = Pattern.compile("VIREO-GUEST-BOOTCOUNT n=(\\d+)");

    static Path images;
    static Path dataDir;
    static Vireo vireo;
    static Api api;
    static final String NAME = Manifests.uniqueName("snapguest");

    @BeforeAll
    static void startVireoOnQemu() throws Exception {
        images = RealGuestTest.imagesDir();
        Prerequisite.require(Files.isRegularFile(images.resolve("initrd.img")) && Files.isRegularFile(
                images.resolve("disk.qcow2")), "real-guest tests skipped: no guest image in " + images
                + "; build it with deploy/guest-image.sh " + images);
        String answer = QemuGuests.run("virsh", "-c", HYPERVISOR, "uri");
        Prerequisite.require(answer != null && answer.contains(HYPERVISOR),
                "real-guest tests skipped: no libvirt daemon answers at " + HYPERVISOR);
        dataDir = Files.createTempDirectory("vireo-snapshot-guest-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        vireo = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, HYPERVISOR, images, 0, "local", Map.of()));
        api = new Api(vireo.port());
        RunningVireo.awaitReady(api, Duration.ofSeconds(60));
    }

    @AfterAll
    static void stopVireo() throws IOException {
        if (vireo != null) {
            vireo.close();
        }
        if (dataDir != null) {
            QemuGuests.run("virsh", "-c", HYPERVISOR, "destroy", "default_" + NAME);
            QemuGuests.run("virsh", "-c", HYPERVISOR, "undefine", "default_" + NAME);
            RunningVireo.deleteRecursively(dataDir);
        }
    }

    @Test
    void diskSnapshotBringsTheBootCountBackAndMemorySnapshotResumesWithoutABoot() throws Exception {
        Map<String, String> baseBefore = sums(images);
        assertEquals(201, api.create(manifest(NAME)).status());
        api.awaitPhase(NAME, "Running", BOOT);
        awaitBootCount(1);
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=2 ", BOOT);

        // a disk snapshot at boot 1, two reboots, a restore: the next boot counts 2 again
        long began = System.nanoTime();
        assertEquals(202, snapshot("{\"name\": \"boot-1\"}").status());
        Response disk = awaitSnapshot("boot-1");
        System.out.printf("snapshot (disks) of a running 128 MiB guest: %d ms in all, guest paused %s ms, %s bytes%n",
                (System.nanoTime() - began) / 1_000_000, disk.at("/status/pauseMs"), disk.at("/status/sizeBytes"));
        // an external disk-only snapshot switches the overlays without stopping the guest (the copy runs beside it)
        assertTrue(disk.at("/status/pauseMs").asLong() < 1000, disk::toString);
        assertOwnFilesOnlyAndNoLibvirtSnapshots();
        for (int boot = 2; boot <= 3; boot++) {
            assertEquals(202, api.action(NAME, "restart").status());
            awaitBootCount(boot);
        }
        began = System.nanoTime();
        assertEquals(202, restore("boot-1").status());
        awaitHistory("RestoreCompleted", 1);
        String afterRestore = QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-BOOTCOUNT n=", BOOT);
        System.out.printf("restore (disks, guest started again) to the console's boot count: %d ms%n",
                (System.nanoTime() - began) / 1_000_000);
        assertEquals(List.of(2), bootCounts(afterRestore), afterRestore);
        api.awaitPhase(NAME, "Running", BOOT);

        // a memory snapshot, the heartbeat goes on, a restore: the console resumes at the snapshot's heartbeat
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=2 ", BOOT);
        int beforeSnapshot = lastHeartbeat(console());
        began = System.nanoTime();
        assertEquals(202, snapshot("{\"name\": \"warm\", \"memory\": true}").status());
        Response warm = awaitSnapshot("warm");
        System.out.printf("snapshot (disks and memory) of a running 128 MiB guest: %d ms in all, guest paused %s ms,"
                + " %s bytes%n", (System.nanoTime() - began) / 1_000_000, warm.at("/status/pauseMs"),
                warm.at("/status/sizeBytes"));
        // a live memory snapshot pauses the guest for its last pass only, not for a save, a copy and a restore
        assertTrue(warm.at("/status/pauseMs").asLong() < 2000, warm::toString);
        assertOwnFilesOnlyAndNoLibvirtSnapshots();
        int afterSnapshot = lastHeartbeat(console());
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=" + (afterSnapshot + 6) + " ", BOOT);
        int beforeRestore = lastHeartbeat(console());
        began = System.nanoTime();
        assertEquals(202, restore("warm").status());
        awaitHistory("RestoreCompleted", 2);
        System.out.printf("restore (from memory) of a running 128 MiB guest: %d ms%n", (System.nanoTime() - began) / 1_000_000);
        String resumed = Eventually.get("heartbeats after the restore", BOOT, SnapshotRealGuestTest::console,
                c -> c.contains("VIREO-GUEST-HEARTBEAT"));
        int first = firstHeartbeat(resumed);
        assertFalse(resumed.contains("VIREO-GUEST-BOOTED"), "a restore from memory does not boot:\n" + resumed);
        assertTrue(first >= beforeSnapshot && first <= afterSnapshot + 2 && first < beforeRestore,
                "the console resumes at the snapshot's heartbeat (" + beforeSnapshot + ".." + afterSnapshot
                        + ", was at " + beforeRestore + " before the restore):\n" + resumed);
        api.awaitPhase(NAME, "Running", BOOT);

        assertEquals(baseBefore, sums(images), "the base images are never written");
        List<String> types = QemuGuests.eventTypes(api, NAME);
        assertTrue(types.containsAll(List.of("SnapshotRequested", "SnapshotCompleted", "RestoreRequested",
                "RestoreCompleted")), types::toString);
        assertFalse(types.contains("DomainCrashed"), types::toString);
        assertFalse(types.contains("Paused"), "a snapshot's own brief pause is not the user's: " + types);

        // a paused guest's memory snapshot: it stays paused (saved and restored: its disks cannot switch back while
        // paused), the pause is the user's, not the snapshot's, and it goes on where it was once unpaused
        assertEquals(202, api.action(NAME, "pause").status());
        api.awaitPhase(NAME, "Paused", BOOT);
        Response still = snapshotAndAwait("{\"name\": \"still\", \"memory\": true}", "still");
        assertEquals(0, still.at("/status/pauseMs").asLong(), still::toString);
        assertEquals("Paused", api.get(Api.vm(NAME)).phase());
        assertOwnFilesOnlyAndNoLibvirtSnapshots();
        int whilePaused = lastHeartbeat(console());
        assertEquals(202, api.action(NAME, "unpause").status());
        api.awaitPhase(NAME, "Running", BOOT);
        QemuGuests.awaitConsole(api, NAME, "VIREO-GUEST-HEARTBEAT n=" + (whilePaused + 2) + " ", BOOT);
        List<String> after = QemuGuests.eventTypes(api, NAME);
        assertEquals(1, after.stream().filter("Paused"::equals).count(), after::toString);
        assertFalse(after.contains("DomainCrashed"), after::toString);
    }

    private static Response snapshotAndAwait(String body, String snap) {
        assertEquals(202, snapshot(body).status());
        return awaitSnapshot(snap);
    }

    /** The guest writes its own overlays again (no file of the snapshot's switch left) and libvirt keeps no snapshot. */
    private static void assertOwnFilesOnlyAndNoLibvirtSnapshots() throws IOException {
        String domain = "default_" + NAME;
        String disks = QemuGuests.run("virsh", "-c", HYPERVISOR, "domblklist", domain);
        assertTrue(disks != null && disks.contains("disk-data.qcow2") && !disks.contains(".snapshotting"), disks);
        String snapshots = QemuGuests.run("virsh", "-c", HYPERVISOR, "snapshot-list", domain, "--name");
        assertEquals("", snapshots == null ? "" : snapshots.strip(), "no libvirt snapshot metadata (it blocks migration)");
        try (var files = Files.list(dataDir.resolve("vms").resolve(domain))) {
            List<String> left = files.map(p -> p.getFileName().toString()).filter(f -> f.endsWith(".snapshotting")).toList();
            assertEquals(List.of(), left);
        }
    }

    private static void awaitBootCount(int n) {
        Eventually.get("the console of " + NAME + " to count boot " + n, BOOT, SnapshotRealGuestTest::console,
                c -> bootCounts(c).contains(n));
    }

    private static Response snapshot(String body) {
        return api.post(Api.vm(NAME) + "/snapshots", Api.JSON_TYPE, body, null);
    }

    private static Response restore(String snapshot) {
        return api.post(Api.vm(NAME) + "/restore", Api.JSON_TYPE, "{\"snapshot\": \"" + snapshot + "\"}", null);
    }

    private static Response awaitSnapshot(String snap) {
        Response r = Eventually.get("snapshot " + snap + " to end", BOOT, () -> api.get(Api.vm(NAME) + "/snapshots/"
                + snap), s -> !"InProgress".equals(s.at("/status/phase").asText()));
        assertEquals("Succeeded", r.at("/status/phase").asText(), r::toString);
        return r;
    }

    private static void awaitHistory(String type, int times) {
        Eventually.get(times + " " + type + " in the history", BOOT, () -> QemuGuests.eventTypes(api, NAME),
                t -> t.stream().filter(type::equals).count() >= times || t.contains("RestoreFailed"));
        assertFalse(QemuGuests.eventTypes(api, NAME).contains("RestoreFailed"), () -> api.history(NAME).toString());
    }

    private static String console() {
        return api.get(Api.vm(NAME) + "/console?follow=false").text();
    }

    private static List<Integer> bootCounts(String console) {
        return BOOT_COUNT.matcher(console).results().map(m -> Integer.parseInt(m.group(1))).toList();
    }

    private static int lastHeartbeat(String console) {
        int last = 0;
        Matcher m = RealGuestTest.HEARTBEAT.matcher(console);
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    private static int firstHeartbeat(String console) {
        Matcher m = RealGuestTest.HEARTBEAT.matcher(console);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    private static String manifest(String name) {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "cpu": {"cores": 1}, "memory": "128Mi",
                          "boot": {"kernel": "%s", "initrd": "%s", "cmdline": "console=ttyS0 hostname=%s"},
                          "disks": [{"name": "data", "image": "%s"}],
                          "terminationGracePeriodSeconds": 20}}
                """.formatted(name, images.resolve("vmlinuz"), images.resolve("initrd.img"), name,
                        images.resolve("disk.qcow2"));
    }

    private static Map<String, String> sums(Path dir) throws Exception {
        Map<String, String> sums = new TreeMap<>();
        for (String f : List.of("vmlinuz", "initrd.img", "disk.qcow2")) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sums.put(f, HexFormat.of().formatHex(sha.digest(Files.readAllBytes(dir.resolve(f)))));
        }
        return sums;
    }
}
