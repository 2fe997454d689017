package dev.vireo.e2e;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A whole single-machine Vireo, in this JVM, on libvirt's test hypervisor, a free port and a fresh data
 * directory; ready ({@code /readyz} 200) before the first test of the class and stopped after the last.
 * Use as {@code @RegisterExtension static final RunningVireo vireo = new RunningVireo();}.
 */
final class RunningVireo implements BeforeAllCallback, AfterAllCallback {

    static final String HYPERVISOR = "test:///default";

    /** Short back-offs, so that a CrashLoopBackOff ends within a test's patience. */
    static final Map<String, Object> TEST_CONFIG = Map.of(
            "vireo.vm.backoff-base", "1s",
            "vireo.vm.backoff-max", "2s");

    private final Map<String, Object> config = new HashMap<>(TEST_CONFIG);
    private Path dataDir;
    private Vireo vireo;
    private Api api;

    RunningVireo with(String path, Object value) {
        config.put(path, value);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dataDir = Files.createTempDirectory("vireo-e2e-");
        vireo = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, HYPERVISOR, null, 0, "local", config));
        // as the admin of the token file this start wrote, as a user reads it from there
        String admin = dev.vireo.auth.BootstrapTokens.adminToken(dataDir.resolve(dev.vireo.auth.BootstrapTokens.FILE_NAME));
        api = new Api(vireo.port()).as(admin);
        awaitReady(api, Duration.ofSeconds(60));
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        if (vireo != null) {
            vireo.close();
        }
        deleteRecursively(dataDir);
    }

    Api api() {
        return api;
    }

    Path dataDir() {
        return dataDir;
    }

    int port() {
        return vireo.port();
    }

    Vireo vireo() {
        return vireo;
    }

    static void awaitReady(Api api, Duration within) {
        Eventually.get("Vireo to be ready", within, () -> api.get("/readyz"), r -> r.status() == 200);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
