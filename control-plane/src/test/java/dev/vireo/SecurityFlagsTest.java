package dev.vireo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node credential or cluster TLS directory that cannot be used is an error naming the flag (exit 64), not a crash. */
class SecurityFlagsTest {

    @TempDir
    Path dir;

    private String run(int exit, String... args) {
        PrintStream before = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(exit, Main.commandLine().execute(args));
        } finally {
            System.setErr(before);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aNodeWithAMissingTokenFileOrTlsDirectoryIsRefusedNamingTheFlag() {
        String tls = run(64, "node", "--name", "alpha", "--seed", "127.0.0.1:2551", "--cluster-tls",
                dir.resolve("none").toString());
        assertTrue(tls.contains("--cluster-tls") && tls.contains("tls.key"), tls);
        String token = run(64, "node", "--name", "alpha", "--seed", "127.0.0.1:2551", "--node-token-file",
                dir.resolve("missing").toString());
        assertTrue(token.contains("--node-token-file") && token.contains("cannot be read"), token);
    }

    @Test
    void aControlPlaneWithAMissingTlsDirectoryIsRefusedNamingTheFlag() {
        String tls = run(64, "control-plane", "--data", dir.resolve("data").toString(), "--cluster-port", "0",
                "--cluster-tls",
                dir.resolve("none").toString());
        assertTrue(tls.contains("--cluster-tls"), tls);
    }
}
