package dev.vireo.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Vireo started the way a user starts it ({@code vireo up}), as its own JVM, so the client measures from outside. */
final class VireoProcess implements AutoCloseable {

    private final Process process;
    final int port;
    final Path dataDir;

    private final long launchedAt = System.nanoTime();

    private VireoProcess(Process process, int port, Path dataDir) {
        this.process = process;
        this.port = port;
        this.dataDir = dataDir;
    }

    private static final java.util.concurrent.atomic.AtomicInteger LAUNCHES = new java.util.concurrent.atomic.AtomicInteger();

    static VireoProcess start(Path dataDir, String hypervisor, Path log, String... jvmOptions) throws Exception {
        VireoProcess vireo = launch(dataDir, hypervisor, log, jvmOptions);
        vireo.awaitReady(Duration.ofMinutes(5));
        return vireo;
    }

    /** Launches the JVM without waiting for it. */
    static VireoProcess launch(Path dataDir, String hypervisor, Path log, String... jvmOptions) throws Exception {
        int port = freePort();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(launcherJitOptions());
        // %n in an option becomes this launch's number: each JVM of a run records its own JFR file
        String launch = Integer.toString(LAUNCHES.incrementAndGet());
        for (String option : jvmOptions) {
            cmd.add(option.replace("%n", launch));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.vireo.Main", "up",
                "--port", Integer.toString(port), "--data", dataDir.toString(), "--hypervisor", hypervisor,
                // the test driver reports 16 vCPUs and 3 GiB: offer enough for the largest scenario
                "--node-cpus", "1000000", "--node-memory", "64Ti"));
        Process p = ApiClient.childEnvironment(new ProcessBuilder(cmd), dataDir).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new VireoProcess(p, port, dataDir);
    }

    /** What bin/vireo gives the JVM on this machine (C1 only on 2 cores or fewer), so that the server runs as it would there. */
    static List<String> launcherJitOptions() {
        return Runtime.getRuntime().availableProcessors() <= 2 ? List.of("-XX:TieredStopAtLevel=1") : List.of();
    }

    double secondsSinceLaunch() {
        return (System.nanoTime() - launchedAt) / 1e9;
    }

    /** Waits until /readyz answers 200; returns the seconds since the JVM was launched. */
    double awaitReady(Duration deadline) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Instant start = Instant.now();
        while (Duration.between(start, Instant.now()).compareTo(deadline) < 0) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Vireo exited with " + process.exitValue() + " before it was ready");
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base() + "/readyz"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return secondsSinceLaunch();
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("Vireo was not ready within " + deadline);
    }

    String base() {
        return "http://127.0.0.1:" + port;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
