package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real guests for the benchmarks: a libvirt daemon of its own per node ({@code deploy/libvirt-node.sh}, QEMU under
 * TCG here), a {@code vireo control-plane} and one {@code vireo node} per daemon, all processes of their own. Every
 * process and daemon it starts is recorded and {@link #close} stops exactly those. Needs root, libvirtd and the guest
 * image ({@code deploy/guest-image.sh}).
 */
final class GuestCluster implements AutoCloseable {

    static final Pattern HEARTBEAT = Pattern.compile("VIREO-GUEST-HEARTBEAT n=(\\d+) ");
    private static final ObjectMapper JSON = new ObjectMapper();

    final Path dir;
    final Path images;
    final ApiClient api;
    /** node name -> its daemon's libvirt URI */
    final Map<String, String> uris = new LinkedHashMap<>();
    private final Path script;
    private final List<Process> processes = new ArrayList<>();
    private final List<String> daemons = new ArrayList<>();

    private GuestCluster(Path dir, Path images, Path script, ApiClient api) {
        this.dir = dir;
        this.images = images;
        this.script = script;
        this.api = api;
    }

    /** Starts a daemon and a node runtime for each of {@code nodes}, and the control plane; returns when all are Ready. */
    static GuestCluster start(Path repository, List<String> nodes) throws Exception {
        Path images = images(repository);
        for (String f : List.of("vmlinuz", "initrd.img", "disk.qcow2")) {
            if (!Files.isRegularFile(images.resolve(f))) {
                throw new IllegalStateException("no guest image in " + images + "; build it with deploy/guest-image.sh "
                        + images);
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            throw new IllegalStateException("real-guest benchmarks start libvirt daemons of their own: run as root");
        }
        // QEMU runs as libvirt's own user: it must reach the overlays under the nodes' data directories
        Path dir = Files.createTempDirectory("vireo-bench-guests-", PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString("rwxr-xr-x")));
        int port = VireoProcess.freePort();
        GuestCluster cluster = new GuestCluster(dir, images, repository.resolve("deploy/libvirt-node.sh"),
                new ApiClient("http://127.0.0.1:" + port));
        try {
            String suffix = Long.toString(ProcessHandle.current().pid());
            for (String node : nodes) {
                String daemon = "bench-" + node + "-" + suffix;
                cluster.daemons.add(daemon);
                String uri = run(cluster.script.toString(), "start", daemon, "--dir", dir.resolve(daemon).toString())
                        .trim();
                if (!uri.startsWith("qemu+unix://")) {
                    throw new IllegalStateException("deploy/libvirt-node.sh start " + daemon + " said: " + uri);
                }
                cluster.uris.put(node, uri);
            }
            int clusterPort = VireoProcess.freePort();
            Path cpData = Files.createDirectories(dir.resolve("control-plane"));
            cluster.launch("control-plane", cpData, List.of("control-plane", "--port", Integer.toString(port),
                    "--data", cpData.toString(), "--cluster-port", Integer.toString(clusterPort)));
            for (String node : nodes) {
                Path data = Files.createDirectories(dir.resolve("node-" + node), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwxr-xr-x")));
                cluster.launch(node, data, List.of("node", "--name", node, "--hypervisor", cluster.uris.get(node),
                        "--seed", "127.0.0.1:" + clusterPort, "--data", data.toString(), "--images", images.toString()));
            }
            cluster.awaitReadyNodes(nodes.size(), Duration.ofMinutes(3));
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The guest image directory: $VIREO_GUEST_IMAGES, else the repository's vireo-data/images. */
    static Path images(Path repository) {
        String given = System.getenv("VIREO_GUEST_IMAGES");
        return given != null && !given.isBlank() ? Path.of(given).toAbsolutePath()
                : repository.resolve("vireo-data/images");
    }

    /**
     * A manifest of a running guest with {@code memoryMiB} of RAM, a data disk unless {@code disk} is false (its
     * overlay is copied by a migration), and with {@code dirtyMiB > 0} a buffer of that size the guest rewrites
     * without pause ({@code dirtymem=} of deploy/guest-image.sh).
     */
    static String guest(String name, int memoryMiB, int dirtyMiB, boolean disk) {
        String cmdline = "console=ttyS0 hostname=" + name + (dirtyMiB > 0 ? " dirtymem=" + dirtyMiB : "");
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "%s"},
                 "spec": {"runStrategy": "Always", "memory": "%dMi", "terminationGracePeriodSeconds": 5,
                  "evictionStrategy": "LiveMigrate",
                  "boot": {"kernel": "vmlinuz", "initrd": "initrd.img", "cmdline": "%s"}%s}}""".formatted(name,
                memoryMiB, cmdline, disk ? ",\n  \"disks\": [{\"name\": \"data\", \"image\": \"disk.qcow2\"}]" : "");
    }

    /** Creates the guest in {@code namespace} and waits until its console shows heartbeats (and its writer, if any). */
    void boot(String namespace, String name, int memoryMiB, int dirtyMiB, boolean disk, Duration within)
            throws Exception {
        HttpResponse<String> created = api.post("/api/v1/namespaces/" + namespace + "/virtualmachines",
                guest(name, memoryMiB, dirtyMiB, disk));
        if (created.statusCode() != 201) {
            throw new IllegalStateException("create " + name + ": " + created.statusCode() + " " + created.body());
        }
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            String console = console(namespace, name);
            if (lastHeartbeat(console) >= 2 && (dirtyMiB == 0 || console.contains("VIREO-GUEST-DIRTYING"))) {
                return;
            }
            if (dirtyMiB > 0 && lastHeartbeat(console) >= 3) { // the line comes before the first heartbeat
                throw new IllegalStateException("the guest image in " + images + " predates dirtymem= (no"
                        + " VIREO-GUEST-DIRTYING line): build it again with deploy/guest-image.sh " + images);
            }
            Thread.sleep(500);
        }
        throw new IllegalStateException(name + " did not boot within " + within + ":\n" + console(namespace, name));
    }

    /** Deletes the VM and waits until it is gone. */
    void delete(String namespace, String name, Duration within) throws Exception {
        String path = "/api/v1/namespaces/" + namespace + "/virtualmachines/" + name;
        api.delete(path);
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if (api.get(path).statusCode() == 404) {
                return;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(name + " was not deleted within " + within);
    }

    String console(String namespace, String name) throws Exception {
        return api.get("/api/v1/namespaces/" + namespace + "/virtualmachines/" + name + "/console?follow=false").body();
    }

    JsonNode vm(String namespace, String name) throws Exception {
        return JSON.readTree(api.get("/api/v1/namespaces/" + namespace + "/virtualmachines/" + name).body());
    }

    JsonNode history(String namespace, String name) throws Exception {
        return JSON.readTree(api.get("/api/v1/namespaces/" + namespace + "/virtualmachines/" + name + "/history")
                .body()).path("items");
    }

    /** How the nodes run their guests, as they reported it ({@code tcg}, {@code kvm}). */
    String virtualization() throws Exception {
        java.util.Set<String> kinds = new java.util.TreeSet<>();
        for (JsonNode n : JSON.readTree(api.get("/api/v1/nodes").body()).path("items")) {
            kinds.add(n.path("virtualization").asText("unknown"));
        }
        return String.join(",", kinds);
    }

    static int lastHeartbeat(String console) {
        Matcher m = HEARTBEAT.matcher(console);
        int last = -1;
        while (m.find()) {
            last = Integer.parseInt(m.group(1));
        }
        return last;
    }

    /** The 1-minute load average now (other work shares the machine: every figure is printed with it). */
    static double load() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private void awaitReadyNodes(int count, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            for (Process p : processes) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("a Vireo process exited; logs in " + dir);
                }
            }
            try {
                int ready = 0;
                for (JsonNode n : JSON.readTree(api.get("/api/v1/nodes").body()).path("items")) {
                    ready += n.path("state").asText().equals("Ready") ? 1 : 0;
                }
                if (ready >= count) {
                    return;
                }
            } catch (Exception e) {
                // not answering yet
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException(count + " nodes were not Ready within " + within + "; logs in " + dir);
    }

    private void launch(String name, Path data, List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(VireoProcess.launcherJitOptions());
        cmd.addAll(List.of("-Xmx512m", "-cp", System.getProperty("java.class.path"), "dev.vireo.Main"));
        cmd.addAll(args);
        processes.add(ApiClient.childEnvironment(new ProcessBuilder(cmd), data).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile())).start());
    }

    /** Runs a command, returns what it printed (stdout and stderr). */
    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        return out;
    }

    /** Stops the JVMs it started, then its daemons (which destroy their guests); keeps the logs in target/. */
    @Override
    public void close() throws Exception {
        for (Process p : processes) {
            p.destroy();
        }
        for (Process p : processes) {
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (ProcessHandle watchdog : watchdogs()) {
            watchdog.destroyForcibly();
        }
        for (String daemon : daemons) {
            run(script.toString(), "stop", daemon, "--dir", dir.resolve(daemon).toString());
        }
        Path logs = Files.createDirectories(Path.of("benchmarks", "target", "guest-logs", dir.getFileName().toString()));
        try (var files = Files.list(dir)) {
            for (Path log : files.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
                Files.copy(log, logs.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        run("rm", "-rf", "--one-file-system", dir.toString());
    }

    /** The watchdogs the node runtimes left behind (their pid files, checked to be one). */
    private List<ProcessHandle> watchdogs() throws IOException {
        List<ProcessHandle> found = new ArrayList<>();
        try (var entries = Files.list(dir)) {
            for (Path data : entries.filter(d -> d.getFileName().toString().startsWith("node-")).toList()) {
                Path pidFile = data.resolve("node/watchdog.pid");
                try {
                    long pid = Long.parseLong(Files.readString(pidFile).trim());
                    ProcessHandle.of(pid).filter(h -> h.info().commandLine().orElse("").contains("vireo-watchdog.sh"))
                            .ifPresent(found::add);
                } catch (IOException | NumberFormatException e) {
                    // no watchdog
                }
            }
        }
        return found;
    }
}
