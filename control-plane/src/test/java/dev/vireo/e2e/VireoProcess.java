package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** {@code vireo up} as its own JVM, started the way a user starts it, so that it can be killed for real. */
final class VireoProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final Api api;

    private VireoProcess(Process process, Path log, int port) {
        this.process = process;
        this.log = log;
        this.api = new Api(port);
    }

    /** Starts {@code dev.vireo.Main up} on a free port and {@code dataDir}; returns once it is ready. */
    static VireoProcess start(Path dataDir, Path log) throws IOException {
        return start(dataDir, log, System.getProperty("java.class.path"));
    }

    /**
     * This JVM's class path with its directories (target/classes, target/test-classes) copied under
     * {@code into}: a build of the module running meanwhile must not pull classes away from a starting Vireo.
     */
    static String isolatedClassPath(Path into) throws IOException {
        List<String> entries = new java.util.ArrayList<>();
        int n = 0;
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                entries.add(entry);
                continue;
            }
            Path copy = into.resolve("classpath-" + (n++));
            try (java.util.stream.Stream<Path> files = Files.walk(path)) {
                for (Path file : files.toList()) {
                    Path target = copy.resolve(path.relativize(file).toString());
                    if (Files.isDirectory(file)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(file, target);
                    }
                }
            }
            entries.add(copy.toString());
        }
        return String.join(java.io.File.pathSeparator, entries);
    }

    static VireoProcess start(Path dataDir, Path log, String classPath) throws IOException {
        return start(dataDir, log, classPath, "512m", Duration.ofSeconds(60));
    }

    /** With a heap of at most {@code maxHeap} ({@code -Xmx}), ready within {@code within}. */
    static VireoProcess start(Path dataDir, Path log, String classPath, String maxHeap, Duration within)
            throws IOException {
        int port = VireoCluster.freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Xmx" + maxHeap, "-XX:+ExitOnOutOfMemoryError",
                "-Dvireo.vm.backoff-base=1s", "-Dvireo.vm.backoff-max=2s",
                "-Dvireo.test.log=" + log.resolveSibling(log.getFileName() + ".vireo"),
                "-cp", classPath,
                "dev.vireo.Main", "up", "--port", Integer.toString(port), "--data", dataDir.toString(),
                "--hypervisor", RunningVireo.HYPERVISOR);
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        VireoProcess vireo = new VireoProcess(process, log, port);
        vireo.awaitReady(within);
        return vireo;
    }

    Api api() {
        return api;
    }

    long pid() {
        return process.pid();
    }

    /** {@code kill -9}: no shutdown hook, no clean leave, whatever was in flight is lost. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            fail("Vireo (pid " + process.pid() + ") still runs 30s after SIGKILL");
        }
        assertFalse(process.isAlive());
        assertFalse(ProcessHandle.of(process.pid()).map(ProcessHandle::isAlive).orElse(false));
    }

    /** Waits for it to end by itself; returns its exit code, or fails if it still runs after {@code within}. */
    int awaitExit(Duration within) throws InterruptedException {
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("Vireo (pid " + process.pid() + ") still runs after " + within.toSeconds() + "s:\n" + tail());
        }
        return process.exitValue();
    }

    /** SIGTERM, as an operator stops it; returns the exit code, or fails if it does not end in time. */
    int terminate(Duration within) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(within.toMillis(), TimeUnit.MILLISECONDS)) {
            fail("Vireo (pid " + process.pid() + ") still runs " + within.toSeconds() + "s after SIGTERM:\n" + tail());
        }
        return process.exitValue();
    }

    private void awaitReady(Duration within) {
        Instant deadline = Instant.now().plus(within);
        while (true) {
            if (!process.isAlive()) {
                fail("Vireo exited with " + process.exitValue() + " before it was ready:\n" + tail());
            }
            try {
                if (api.get("/readyz").status() == 200) {
                    return;
                }
            } catch (RuntimeException e) {
                // not listening yet
            }
            if (Instant.now().isAfter(deadline)) {
                fail("Vireo was not ready within " + within.toSeconds() + "s:\n" + tail());
            }
            sleep(Duration.ofMillis(200));
        }
    }

    String tail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Stops it as SIGTERM does (cleanly), if it still runs. */
    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
