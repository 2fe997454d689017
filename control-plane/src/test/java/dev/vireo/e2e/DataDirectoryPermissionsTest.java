package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The journal is readable by Vireo's user alone (hardening finding 11): the data directory cannot be listed by
 * other users, the journal's files are rw-------, and so is a file H2 creates while Vireo runs.
 */
class DataDirectoryPermissionsTest {

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo();

    @Test
    void theDataDirectoryCannotBeListedByOtherUsers() throws IOException {
        assertEquals("rwx--x--x", PosixFilePermissions.toString(Files.getPosixFilePermissions(vireo.dataDir())));
    }

    @Test
    void everyJournalFileIsReadableByVireoAlone() throws IOException {
        assertEquals(201, vireo.api().create(Manifests.json(Manifests.uniqueName("private"), "Halted")).status());
        int seen = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(vireo.dataDir(), "journal*")) {
            for (Path file : files) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                        file.toString());
                seen++;
            }
        }
        assertTrue(seen >= 1, "no journal file under " + vireo.dataDir());
        assertTrue(Files.size(vireo.dataDir().resolve("journal.mv.db")) > 0, "the journal is the one in use");
    }

    @Test
    void aFileH2CreatesLaterIsNarrowedToo() throws IOException {
        // as H2 creates a temporary file: with the process's umask
        Path later = Files.createFile(vireo.dataDir().resolve("journal.123456.tempFile"),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")));
        try {
            Eventually.get("the new journal file narrowed", Duration.ofSeconds(10),
                    () -> permissions(later), "rw-------"::equals);
        } finally {
            Files.deleteIfExists(later);
        }
    }

    private static String permissions(Path file) {
        try {
            return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
