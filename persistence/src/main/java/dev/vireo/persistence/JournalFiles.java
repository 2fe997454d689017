package dev.vireo.persistence;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded journal's files are readable by Vireo's user alone (hardening finding 11). The data directory is
 * {@code rwx--x--x}: other users may pass through it (QEMU, which libvirt runs as its own user, reaches the VMs'
 * overlays under {@code vms/}) but cannot list it, and every {@code journal*} file H2 keeps there is
 * {@code rw-------}. H2 creates its files with the process's umask, so the files with known names are made
 * before H2 opens them, and {@link #sweep} narrows whatever H2 creates later (temporary files, under names
 * nobody can list).
 */
public final class JournalFiles {

    private static final Logger log = LoggerFactory.getLogger(JournalFiles.class);

    static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwx--x--x");
    static final Set<PosixFilePermission> FILE = PosixFilePermissions.fromString("rw-------");
    /** The files of the H2 database {@code <data>/journal} whose names are known before H2 runs. */
    private static final String[] KNOWN = {"journal.mv.db", "journal.trace.db"};

    private JournalFiles() {
    }

    /** Creates the data directory if needed and narrows it and the journal's files; call before H2 opens them. */
    public static void confine(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        if (!posix(dataDir)) {
            return;
        }
        Files.setPosixFilePermissions(dataDir, DIRECTORY);
        for (String name : KNOWN) {
            Path file = dataDir.resolve(name);
            try {
                // an empty file is a new database to H2; the trace is appended to
                Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE));
            } catch (FileAlreadyExistsException exists) {
                // narrowed below
            }
        }
        sweep(dataDir);
    }

    /** {@link #sweep} every {@code interval} for as long as {@code system} runs, on its blocking dispatcher. */
    public static void keepConfined(ActorSystem<?> system, Path dataDir, Duration interval) {
        system.scheduler().scheduleWithFixedDelay(interval, interval, () -> {
            try {
                int narrowed = sweep(dataDir);
                if (narrowed > 0) {
                    log.debug("narrowed {} journal file(s) in {} to rw-------", narrowed, dataDir);
                }
            } catch (IOException e) {
                log.warn("cannot narrow the journal's files in {}: {}", dataDir, e.toString());
            }
        }, system.dispatchers().lookup(DispatcherSelector.blocking()));
    }

    /** Narrows every {@code journal*} file in the data directory that others could read; returns how many. */
    public static int sweep(Path dataDir) throws IOException {
        if (!posix(dataDir) || !Files.isDirectory(dataDir)) {
            return 0;
        }
        int narrowed = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dataDir, "journal*")) {
            for (Path file : files) {
                try {
                    if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                            && !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(FILE)) {
                        Files.setPosixFilePermissions(file, FILE);
                        narrowed++;
                    }
                } catch (java.nio.file.NoSuchFileException gone) {
                    // a temporary file H2 removed meanwhile
                }
            }
        }
        return narrowed;
    }

    private static boolean posix(Path dir) {
        return dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    }
}
