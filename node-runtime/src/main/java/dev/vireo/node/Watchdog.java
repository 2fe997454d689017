package dev.vireo.node;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's watchdog process ({@code vireo-watchdog.sh}): it pauses the node's Vireo domains once the lease
 * in {@link NodeFiles#lease()} has expired, whether or not the JVM still runs. Started detached
 * ({@code setsid -f}), so that it outlives the JVM: a node runtime killed with its guests still running must
 * not leave them unguarded. One per node directory; a node runtime that starts again keeps the one it finds.
 */
public final class Watchdog {

    static final String SCRIPT = "vireo-watchdog.sh";
    private static final Logger log = LoggerFactory.getLogger(Watchdog.class);

    private Watchdog() {
    }

    /** The pid of the watchdog guarding {@code files}, started now if none runs. Blocking (a process start). */
    public static long ensureRunning(NodeFiles files, String hypervisorUri, Duration interval) {
        Optional<Long> running = running(files);
        if (running.isPresent()) {
            return running.get();
        }
        try {
            Path script = install(files);
            Files.deleteIfExists(files.watchdogPid());
            new ProcessBuilder("setsid", "-f", "/bin/bash", script.toString(), files.directory().toString(),
                    hypervisorUri, seconds(interval))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(files.watchdogLog().toFile()))
                    .redirectErrorStream(true)
                    .start().waitFor();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (System.nanoTime() - deadline < 0) {
                Optional<Long> started = running(files);
                if (started.isPresent()) {
                    log.info("watchdog {} guards the domains of {} (lease file {}, log {})", started.get(),
                            hypervisorUri, files.lease(), files.watchdogLog());
                    return started.get();
                }
                Thread.sleep(20);
            }
            throw new IllegalStateException("the watchdog did not start within 10 s; see " + files.watchdogLog());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the watchdog in " + files.directory(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Starts a watchdog for {@code files} as a child of this process, its output this process's ({@code vireo
     * watchdog}); SIGTERM to it makes it fence before it ends.
     */
    public static Process startInForeground(NodeFiles files, String hypervisorUri, Duration interval)
            throws IOException {
        Path script = install(files);
        return new ProcessBuilder("/bin/bash", script.toString(), files.directory().toString(), hypervisorUri,
                seconds(interval), "foreground").inheritIO().start();
    }

    /** Writes the script from the jar into the node's directory; returns its path. */
    private static Path install(NodeFiles files) throws IOException {
        Files.createDirectories(files.directory());
        Path script = files.directory().resolve(SCRIPT);
        Path partial = files.directory().resolve(SCRIPT + ".part");
        try (InputStream in = Watchdog.class.getResourceAsStream(SCRIPT)) {
            if (in == null) {
                throw new IllegalStateException(SCRIPT + " is missing from the node runtime's jar");
            }
            Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.move(partial, script, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return script;
    }

    private static String seconds(Duration interval) {
        return String.format(java.util.Locale.ROOT, "%.3f", interval.toMillis() / 1000.0);
    }

    /** The pid in the watchdog's pid file, if that process is alive and is a watchdog. */
    public static Optional<Long> running(NodeFiles files) {
        try {
            if (!Files.exists(files.watchdogPid())) {
                return Optional.empty();
            }
            long pid = Long.parseLong(Files.readString(files.watchdogPid(), StandardCharsets.US_ASCII).trim());
            Path cmdline = Path.of("/proc", Long.toString(pid), "cmdline");
            if (Files.exists(cmdline) && new String(Files.readAllBytes(cmdline), StandardCharsets.UTF_8).contains(SCRIPT)) {
                return Optional.of(pid);
            }
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
