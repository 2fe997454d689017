package dev.vireo.node;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * The node runtime's own files under {@code <data>/node/}, shared with its watchdog process:
 * {@code lease} holds the lease's expiry (wall-clock milliseconds) and the pid of the JVM that wrote it;
 * {@code fenced} lists the domains paused because the lease expired (one name a line, appended by the
 * watchdog and by the JVM); {@code watchdog.pid} and {@code watchdog.log} are the watchdog's.
 */
public final class NodeFiles {

    private final Path directory;

    public NodeFiles(Path dataDirectory) {
        this.directory = dataDirectory.toAbsolutePath().normalize().resolve("node");
    }

    public Path directory() {
        return directory;
    }

    public Path lease() {
        return directory.resolve("lease");
    }

    public Path fenced() {
        return directory.resolve("fenced");
    }

    public Path watchdogPid() {
        return directory.resolve("watchdog.pid");
    }

    public Path watchdogLog() {
        return directory.resolve("watchdog.log");
    }

    /** Writes the expiry atomically: the watchdog reads either the old line or the new one, never half of one. */
    void writeLease(long expiresAtMillis) {
        try {
            Files.createDirectories(directory);
            Path partial = directory.resolve("lease.part");
            Files.writeString(partial, expiresAtMillis + " " + ProcessHandle.current().pid() + "\n",
                    StandardCharsets.US_ASCII);
            Files.move(partial, lease(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the lease file " + lease(), e);
        }
    }

    void recordFenced(String domainName) {
        try {
            Files.createDirectories(directory);
            Files.writeString(fenced(), domainName + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the fenced domain " + domainName + " in " + fenced(), e);
        }
    }

    /** The domains the lease's expiry paused, by the JVM or by the watchdog. */
    Set<String> fencedDomains() {
        try {
            return Files.exists(fenced()) ? new LinkedHashSet<>(Files.readAllLines(fenced(), StandardCharsets.UTF_8))
                    : Set.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void forgetFenced(Set<String> domainNames) {
        if (domainNames.isEmpty()) {
            return;
        }
        Set<String> left = new LinkedHashSet<>(fencedDomains());
        left.removeAll(domainNames);
        try {
            Path partial = directory.resolve("fenced.part");
            Files.write(partial, left, StandardCharsets.UTF_8);
            Files.move(partial, fenced(), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
