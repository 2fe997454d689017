package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.cli.CliConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

/**
 * The README's commands need no token step: {@code vireo up} writes its admin token into the CLI config of the
 * user who started it ({@code $VIREO_CONFIG}, which surefire points into target/), and the CLI finds it there.
 */
class UpWritesCliConfigTest {

    @Test
    void theCliWorksWithNoTokenGivenAgainstAVireoStartedWithUp() throws Exception {
        Path dir = Files.createTempDirectory("vireo-up-config-");
        try (VireoProcess up = VireoProcess.start(dir.resolve("data"), dir.resolve("vireo.log"))) {
            Path config = CliConfig.location();
            assertTrue(Files.isRegularFile(config), "vireo up wrote no CLI config at " + config);
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(config)));

            String server = up.api().base().toString().replace("127.0.0.1", "localhost");
            CliRun run = CliRun.of("get", "vms", "-A", "--server", server);
            assertEquals(0, run.exit(), "the CLI found no token for " + server + ": " + run.err());
        } finally {
            RunningVireo.deleteRecursively(dir);
        }
    }
}
