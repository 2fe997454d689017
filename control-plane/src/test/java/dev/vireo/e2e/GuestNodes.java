package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.testkit.Prerequisite;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * Real guests on two nodes of one host: two libvirt daemons of their own ({@code deploy/libvirt-node.sh}), each the
 * hypervisor of one {@code vireo node}, one control plane, and a {@link DomainSampler} listing both daemons' running
 * domains throughout. Needs root, libvirtd and the guest image; without them the tests are skipped (fail under CI).
 */
final class GuestNodes implements AutoCloseable {

    final Path dir;
    final Path script;
    /** node name -> its daemon's name (deploy/libvirt-node.sh) */
    final Map<String, String> daemons;
    /** node name -> its daemon's URI */
    final Map<String, String> uris = new HashMap<>();
    VireoCluster cluster;
    Api api;
    DomainSampler sampler;

    private GuestNodes(Path dir, Path script, Map<String, String> daemons) {
        this.dir = dir;
        this.script = script;
        this.daemons = Map.copyOf(daemons);
    }

    /**
     * @param what    the tests, as the message of a missing prerequisite names them
     * @param daemons node name -> a daemon name unique on the host
     */
    static GuestNodes start(String what, Map<String, String> daemons, Duration sampleEvery) throws Exception {
        return start(what, daemons, sampleEvery, List.of(), Map.of());
    }

    /** As {@link #start(String, Map, Duration)}, the control plane started with {@code controlPlaneFlags} besides. */
    static GuestNodes start(String what, Map<String, String> daemons, Duration sampleEvery,
                            List<String> controlPlaneFlags) throws Exception {
        return start(what, daemons, sampleEvery, controlPlaneFlags, Map.of());
    }

    /** As {@link #start(String, Map, Duration)}, each node's {@code vireo node} started with {@code nodeFlags.get(node)} besides. */
    static GuestNodes start(String what, Map<String, String> daemons, Duration sampleEvery,
                            Map<String, List<String>> nodeFlags) throws Exception {
        return start(what, daemons, sampleEvery, List.of(), nodeFlags);
    }

    static GuestNodes start(String what, Map<String, String> daemons, Duration sampleEvery,
                            List<String> controlPlaneFlags, Map<String, List<String>> nodeFlags) throws Exception {
        Path images = RealGuestTest.imagesDir();
        Prerequisite.require(List.of("vmlinuz", "initrd.img", "disk.qcow2").stream()
                        .allMatch(f -> Files.isRegularFile(images.resolve(f))),
                what + " skipped: no guest image in " + images + "; build it with deploy/guest-image.sh " + images
                        + " (bin/test does, as root)");
        Prerequisite.require("0".equals(String.valueOf(QemuGuests.run("id", "-u")).trim()),
                what + " skipped: starting libvirt daemons of their own needs root");
        Prerequisite.require(QemuGuests.run("sh", "-c", "command -v libvirtd || test -x /usr/sbin/libvirtd") != null,
                what + " skipped: libvirtd is not installed (deploy/host-setup.sh build installs it)");
        Path dir = Files.createTempDirectory("vireo-guest-nodes-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        GuestNodes nodes = new GuestNodes(dir, repository().resolve("deploy/libvirt-node.sh"), daemons);
        try {
            for (Map.Entry<String, String> daemon : daemons.entrySet()) {
                String uri = QemuGuests.run(nodes.script.toString(), "start", daemon.getValue(), "--dir",
                        dir.resolve(daemon.getValue()).toString());
                Prerequisite.require(uri != null && uri.startsWith("qemu+unix://"), what + ": deploy/libvirt-node.sh start "
                        + daemon.getValue() + " failed; see " + dir.resolve(daemon.getValue()).resolve("start.log"));
                nodes.uris.put(daemon.getKey(), uri.trim());
            }
            nodes.sampler = new DomainSampler(Map.copyOf(nodes.uris), sampleEvery);
            nodes.cluster = VireoCluster.start(dir, List.of(), controlPlaneFlags);
            nodes.api = nodes.cluster.api();
            for (String node : daemons.keySet()) {
                List<String> flags = new java.util.ArrayList<>(List.of("--images", images.toString()));
                flags.addAll(nodeFlags.getOrDefault(node, List.of()));
                nodes.cluster.startNode(node, nodes.uris.get(node), flags.toArray(String[]::new));
            }
            for (String node : daemons.keySet()) {
                nodes.cluster.awaitNode(node, "Ready", nodes.cluster.member(node));
            }
            return nodes;
        } catch (Exception | Error e) {
            nodes.close();
            throw e;
        }
    }

    /** Creates a 128 MiB TCG guest named {@code name}: runStrategy Always, evictionStrategy LiveMigrate, no disk. */
    static Api.Response createMovableGuest(Api api, String name) {
        return createMovableGuest(api, name, false);
    }

    /**
     * As {@link #createMovableGuest(Api, String)}, with a data disk ({@code data}, an overlay on the test image's
     * {@code disk.qcow2}) when {@code withDisk}: migrations then copy it, snapshots take it.
     */
    static Api.Response createMovableGuest(Api api, String name, boolean withDisk) {
        String disks = withDisk ? ", \"disks\": [{\"name\": \"data\", \"image\": \"disk.qcow2\"}]" : "";
        Api.Response created = api.create("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "memory": "128Mi", "terminationGracePeriodSeconds": 5,
                  "evictionStrategy": "LiveMigrate",
                  "boot": {"kernel": "vmlinuz", "initrd": "initrd.img", "cmdline": "console=ttyS0 hostname=%s"}%s}}
                """.formatted(name, name, disks));
        assertEquals(201, created.status(), created::toString);
        return created;
    }

    /** The console of {@code name} as the control plane serves it now. */
    String console(String name) {
        return api.get(Api.vm(name) + "/console?follow=false").text();
    }

    /**
     * The console of {@code name} shows a newer heartbeat than now within 60 s; returns that console. If not, the
     * failure says what each daemon has of its domain (a guest that crashed or hung on arrival is Running there).
     *
     * @param what what the wait is about, for the failure's message (a step, a migration)
     */
    String heartbeatGoesOn(String name, String what) {
        int before = lastHeartbeat(console(name));
        try {
            return Eventually.get(what + ": the heartbeat of " + name + " to go on after heartbeat " + before,
                    Duration.ofSeconds(60), () -> console(name), text -> lastHeartbeat(text) > before);
        } catch (AssertionError silent) {
            Map<String, String> domains = new java.util.TreeMap<>();
            uris.keySet().forEach(node -> domains.put(node, domainState(node, "default_" + name)));
            throw new AssertionError(silent.getMessage() + "; its domain on each node: " + domains, silent);
        }
    }

    /** kill -9 of the node's daemons and QEMUs: its host dies. */
    void killHost(String node) {
        QemuGuests.run(script.toString(), "kill", daemons.get(node), "--dir", dir.resolve(daemons.get(node)).toString());
    }

    /** The daemon's own directory of {@code node} (run files, QEMU pid files). */
    Path daemonDir(String node) {
        return dir.resolve(daemons.get(node));
    }

    /**
     * The state of {@code domain} on {@code node}'s daemon ({@code running}, {@code paused}, ...), {@code gone} when
     * the daemon does not have it, {@code unknown} when the daemon did not answer.
     */
    String domainState(String node, String domain) {
        String all = QemuGuests.run("virsh", "-q", "-c", uris.get(node), "list", "--all", "--name");
        if (all == null) {
            return "unknown";
        }
        if (all.lines().map(String::trim).noneMatch(domain::equals)) {
            return "gone";
        }
        String state = QemuGuests.run("virsh", "-q", "-c", uris.get(node), "domstate", domain);
        return state == null ? "unknown" : state.trim();
    }

    /** The sampler has been sampling, and never saw a VM running on two daemons at once. */
    void noDoubles() {
        assertTrue(sampler.samples() > 0);
        assertEquals(List.of(), sampler.doubles(), "a VM ran on two nodes at once (" + sampler.samples() + " samples, " + sampler.handoffs() + " handoffs seen in passing)");
    }

    /** The counter of the guest's last heartbeat line in {@code console}; -1 when there is none. */
    static int lastHeartbeat(String console) {
        Matcher m = RealGuestTest.HEARTBEAT.matcher(console);
        int last = -1;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    @Override
    public void close() throws Exception {
        if (sampler != null) {
            sampler.close();
        }
        if (cluster != null) {
            cluster.close();
        }
        for (String daemon : daemons.values()) {
            QemuGuests.run(script.toString(), "stop", daemon, "--dir", dir.resolve(daemon).toString());
        }
        keepLogs();
        RunningVireo.deleteRecursively(dir);
    }

    /**
     * For a look after a failure, beside the members' logs in target/cluster-logs/: each daemon's logs (libvirtd, and
     * QEMU's per domain) and every guest's console log as its node last had it.
     */
    private void keepLogs() {
        Path into = Path.of("target", "cluster-logs", dir.getFileName().toString());
        try (var files = Files.walk(dir)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                Path relative = dir.relativize(f);
                boolean daemonLog = relative.getNameCount() >= 3 && relative.getName(1).toString().equals("log");
                if (daemonLog || f.getFileName().toString().startsWith("console.log")) {
                    Path copy = into.resolve(relative);
                    Files.createDirectories(copy.getParent());
                    Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            System.err.println("the daemons' logs in " + dir + " could not be kept: " + e);
        }
    }

    private static Path repository() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("deploy/libvirt-node.sh"))) {
            dir = dir.getParent();
        }
        return dir;
    }
}
