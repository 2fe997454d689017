package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A Vireo cluster of processes on 127.0.0.1, started the way an operator starts one: one {@code vireo
 * control-plane} and {@code vireo node}s joining it. Every process it starts is recorded, and {@link #close}
 * stops exactly those, plus the watchdog each node runtime left behind (by the pid file in its data
 * directory): nothing is looked up by name.
 */
final class VireoCluster implements AutoCloseable {

    /** One started JVM: the control plane or a node runtime. */
    final class Member {
        final String name;
        final Process process;
        final Path log;
        final Path dataDir;
        final List<String> args;

        Member(String name, Process process, Path log, Path dataDir, List<String> args) {
            this.name = name;
            this.process = process;
            this.log = log;
            this.dataDir = dataDir;
            this.args = args;
        }

        long pid() {
            return process.pid();
        }

        /** {@code kill -9}: the JVM dies at once (its watchdog, libvirt and the guests do not). */
        void kill() throws InterruptedException {
            signal("CONT");
            process.destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                fail(name + " (pid " + pid() + ") still runs 30 s after SIGKILL");
            }
        }

        /** SIGSTOP: the JVM is frozen, it runs nothing and answers nothing (its watchdog keeps running). */
        void suspend() {
            signal("STOP");
        }

        void resume() {
            signal("CONT");
        }

        private void signal(String signal) {
            if (process.isAlive()) {
                QemuGuests.run("kill", "-" + signal, Long.toString(pid()));
            }
        }

        /**
         * Waits until this (restarted) node runtime has reconciled its domains with the control plane: until then the
         * control plane may still list the node Ready under its dead predecessor, and a command sent there is lost.
         */
        void awaitReconciled(Duration within) {
            Eventually.until("node runtime " + name + " (pid " + pid() + ") to reconcile", within, () -> {
                if (!process.isAlive()) {
                    fail("node runtime " + name + " exited:\n" + tail());
                }
                return logText().contains("node " + name + ": reconciled:");
            });
        }

        /** The pid of the watchdog this node runtime started, if one runs. */
        Optional<Long> watchdog() {
            return VireoCluster.watchdog(dataDir);
        }

        /** The log so far (bytes that are not UTF-8, such as libvirt's own messages, are replaced). */
        String logText() {
            try {
                return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        String tail() {
            List<String> lines = logText().lines().toList();
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        }
    }

    private final Path dir;
    private final String classPath;
    private final List<String> jvmOptions;
    private final Map<String, Member> members = new LinkedHashMap<>();
    private final List<Member> all = new ArrayList<>();
    private Member controlPlane;
    private Api api;
    private int clusterPort;

    private VireoCluster(Path dir, List<String> jvmOptions) throws IOException {
        this.dir = dir;
        this.classPath = VireoProcess.isolatedClassPath(Files.createDirectories(dir.resolve("classes")));
        this.jvmOptions = jvmOptions;
    }

    /** A control plane on free ports, its data under {@code dir}; returns once its API answers. */
    static VireoCluster start(Path dir, List<String> jvmOptions) throws Exception {
        return start(dir, jvmOptions, List.of());
    }

    /** As {@link #start(Path, List)}, the control plane started with {@code controlPlaneFlags} besides. */
    static VireoCluster start(Path dir, List<String> jvmOptions, List<String> controlPlaneFlags) throws Exception {
        VireoCluster cluster = new VireoCluster(dir, jvmOptions);
        try {
            cluster.startControlPlane(controlPlaneFlags);
        } catch (Throwable e) {
            cluster.close();
            throw e;
        }
        return cluster;
    }

    private void startControlPlane(List<String> flags) throws IOException {
        int[] ports = freePorts(2);
        int port = ports[0];
        clusterPort = ports[1];
        Path data = Files.createDirectories(dir.resolve("control-plane"));
        List<String> args = new ArrayList<>(List.of("control-plane", "--port", Integer.toString(port),
                "--data", data.toString(), "--cluster-port", Integer.toString(clusterPort)));
        args.addAll(flags);
        controlPlane = launch("control-plane", data, args);
        api = new Api(port);
        Eventually.get("the control plane to answer", Duration.ofSeconds(90), () -> {
            if (!controlPlane.process.isAlive()) {
                fail("the control plane exited:\n" + controlPlane.tail());
            }
            return api.get("/healthz");
        }, r -> r.status() == 200);
    }

    Api api() {
        return api;
    }

    /**
     * Starts the control plane again as it was started (the same ports, the same data directory: its journal), after
     * it was killed; returns once its API answers. The nodes rejoin it at the same cluster port.
     */
    Member restartControlPlane() {
        Member killed = controlPlane;
        if (killed.process.isAlive()) {
            fail("the control plane (pid " + killed.pid() + ") still runs; kill it first");
        }
        try {
            controlPlane = launch("control-plane", killed.dataDir, killed.args);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        Member started = controlPlane;
        Eventually.get("the restarted control plane to answer", Duration.ofSeconds(90), () -> {
            if (!started.process.isAlive()) {
                fail("the restarted control plane exited:\n" + started.tail());
            }
            return api.get("/healthz");
        }, r -> r.status() == 200);
        return started;
    }

    Member controlPlane() {
        return controlPlane;
    }

    String seed() {
        return "127.0.0.1:" + clusterPort;
    }

    Member member(String name) {
        return members.get(name);
    }

    /** Starts {@code vireo node --name NAME ...} with its data under the cluster's directory; does not wait. */
    Member startNode(String name, String hypervisor, String... more) throws IOException {
        // QEMU runs as libvirt's own user: it must reach the overlays under the node's data directory
        Path data = Files.createDirectories(dir.resolve("node-" + name + "-" + all.size()),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        List<String> args = new ArrayList<>(List.of("node", "--name", name, "--hypervisor", hypervisor,
                "--seed", seed(), "--data", data.toString()));
        args.addAll(List.of(more));
        Member node = launch(name, data, args);
        members.put(name, node);
        return node;
    }

    /** Starts {@code node} again as it was started, on the same data directory (after it was killed). */
    Member restart(Member node) throws IOException {
        Member again = launch(node.name, node.dataDir, node.args);
        members.put(node.name, again);
        return again;
    }

    /** Starts a node and waits until the control plane lists it Ready. */
    Member node(String name, String hypervisor, String... more) throws IOException {
        Member node = startNode(name, hypervisor, more);
        awaitNode(name, "Ready", node);
        return node;
    }

    JsonNode awaitNode(String name, String state, Member running) {
        return Eventually.get("node " + name + " to be " + state, Duration.ofSeconds(120), () -> {
            if (running != null && !running.process.isAlive()) {
                fail("node " + name + " exited:\n" + running.tail());
            }
            return node(name);
        }, n -> n != null && state.equals(n.path("state").asText()));
    }

    /** The node as {@code GET /api/v1/nodes/NAME} shows it; null when unknown. */
    JsonNode node(String name) {
        Api.Response r = api.get("/api/v1/nodes/" + name);
        return r.status() == 200 ? r.json() : null;
    }

    /** Starts {@code mainClass} of the test classpath as a process of the cluster (stopped by {@link #close}). */
    Member launchMain(String name, String mainClass, String... args) throws IOException {
        Path data = Files.createDirectories(dir.resolve(name + "-" + all.size()));
        Path log = dir.resolve(name + "-" + all.size() + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx128m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Dlogback.configurationFile=logback.xml", "-cp", classPath, mainClass));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Member member = new Member(name, process, log, data, List.of(args));
        all.add(member);
        return member;
    }

    private Member launch(String name, Path data, List<String> args) throws IOException {
        Path log = dir.resolve(name + "-" + all.size() + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC",
                "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
                // the launchers' own logging (to the member's log), not the tests' logback-test.xml
                "-Dlogback.configurationFile=logback.xml"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classPath, "dev.vireo.Main"));
        command.addAll(args);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Member member = new Member(name, process, log, data, List.copyOf(args));
        all.add(member);
        return member;
    }

    /** Stops every JVM this cluster started (SIGCONT first, then SIGTERM, then SIGKILL), then their watchdogs. */
    @Override
    public void close() throws InterruptedException {
        for (Member m : all) {
            m.signal("CONT");
            m.process.destroy();
        }
        for (Member m : all) {
            if (!m.process.waitFor(30, TimeUnit.SECONDS)) {
                m.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
        for (Member m : all) {
            watchdog(m.dataDir).ifPresent(pid -> QemuGuests.run("kill", "-9", Long.toString(pid)));
        }
        keepLogs();
    }

    /** The members' logs (and their watchdogs') go to target/cluster-logs/, for a look after a failure. */
    private void keepLogs() {
        try {
            Path into = Files.createDirectories(Path.of("target", "cluster-logs", dir.getFileName().toString()));
            for (Member m : all) {
                if (Files.exists(m.log)) {
                    Files.copy(m.log, into.resolve(m.log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
                Path watchdogLog = m.dataDir.resolve("node/watchdog.log");
                if (Files.exists(watchdogLog)) {
                    Files.copy(watchdogLog, into.resolve(m.log.getFileName() + ".watchdog"),
                            java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            // the logs are a courtesy
        }
    }

    /** The watchdog of the node runtime whose data directory is {@code data}: its pid file, checked to be one. */
    static Optional<Long> watchdog(Path data) {
        Path pidFile = data.resolve("node/watchdog.pid");
        try {
            long pid = Long.parseLong(Files.readString(pidFile).trim());
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            return Files.exists(cmdline) && Files.readString(cmdline).contains("vireo-watchdog.sh")
                    ? Optional.of(pid) : Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    static int freePort() throws IOException {
        return freePorts(1)[0];
    }

    /**
     * {@code n} distinct free ports: each socket stays open until all are chosen. Asked one after the other, the
     * kernel may give the same port twice, and a control plane then had its HTTP port taken by its own cluster port
     * ("Address already in use", a fresh-clone run of 2026-12-01).
     */
    static int[] freePorts(int n) throws IOException {
        List<ServerSocket> open = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket socket = new ServerSocket(0);
                open.add(socket);
                ports[i] = socket.getLocalPort();
            }
            return ports;
        } finally {
            for (ServerSocket socket : open) {
                socket.close();
            }
        }
    }
}
