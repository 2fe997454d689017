package dev.vireo;

import java.nio.file.Path;
import java.util.Map;

/**
 * How one single-machine Vireo runs ({@code bin/vireo up}). {@code hypervisor} empty or null: detect.
 * {@code config} holds extra configuration paths (tests shorten back-offs with it).
 */
public record VireoSettings(String address, int port, Path dataDir, String hypervisor, Path imagesDir,
                            int clusterPort, String nodeName, Map<String, Object> config) {

    public static VireoSettings defaults() {
        return new VireoSettings("127.0.0.1", 8080, Path.of("vireo-data"), null, null, 0, "local", Map.of());
    }

    public Path images() {
        return imagesDir != null ? imagesDir : dataDir.resolve("images");
    }
}
