package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeConsole;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pieces of a console log a reader gets: from the start, then what was appended, and a new boot from its start. */
class ConsoleReaderTest {

    @TempDir
    Path dir;

    @Test
    void aReaderGetsTheLogPieceByPieceAndANewBootFromItsStart() throws Exception {
        Path log = dir.resolve("console.log");
        Files.writeString(log, "boot 1\n");
        NodeConsole.Chunk first = ConsoleReader.chunk("n1", log, null, 0, 1024);
        assertTrue(first.exists());
        assertEquals("boot 1\n", new String(first.bytes(), StandardCharsets.UTF_8));
        NodeConsole.Chunk none = ConsoleReader.chunk("n1", log, first.fileKey(), 7, 1024);
        assertEquals(0, none.bytes().length);
        Files.writeString(log, "more\n", StandardOpenOption.APPEND);
        NodeConsole.Chunk more = ConsoleReader.chunk("n1", log, first.fileKey(), 7, 1024);
        assertEquals(7, more.position());
        assertArrayEquals("more\n".getBytes(StandardCharsets.UTF_8), more.bytes());

        // a new boot deletes the log and starts a new file: the reader starts again at its beginning
        Files.delete(log);
        Files.writeString(dir.resolve("other"), "keeps the inode of the old file from being reused");
        Files.writeString(log, "boot 2\n");
        NodeConsole.Chunk again = ConsoleReader.chunk("n1", log, first.fileKey(), 12, 1024);
        assertNotEquals(first.fileKey(), again.fileKey());
        assertEquals(0, again.position());
        assertEquals("boot 2\n", new String(again.bytes(), StandardCharsets.UTF_8));
    }

    @Test
    void aBigLogComesInBoundedPiecesAndAMissingOneDoesNotExist() throws Exception {
        Path log = dir.resolve("console.log");
        Files.write(log, new byte[200 * 1024]);
        NodeConsole.Chunk piece = ConsoleReader.chunk("n1", log, null, 0, Integer.MAX_VALUE);
        assertEquals(ConsoleReader.MAX_CHUNK, piece.bytes().length);
        assertEquals(200 * 1024, piece.size());
        assertFalse(ConsoleReader.chunk("n1", dir.resolve("none.log"), null, 0, 10).exists());
    }
}
