package dev.vireo;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * How a control plane runs: {@code bin/vireo up} (with a node of this machine, {@code nodeName} non-null) or
 * {@code bin/vireo control-plane} (no node: {@code nodeName} null). {@code hypervisor} empty or null: detect.
 * {@code clusterAddress} and {@code clusterPort} are where other members reach this one; {@code seeds}
 * ({@code host:port}) the members to join (none: this one starts the cluster). {@code config} holds extra
 * configuration paths (tests shorten back-offs and leases with it).
 */
public record VireoSettings(String address, int port, Path dataDir, String hypervisor, Path imagesDir,
                            String clusterAddress, int clusterPort, List<String> seeds, String nodeName,
                            Map<String, String> nodeLabels, Map<String, Object> config) {

    public VireoSettings {
        clusterAddress = clusterAddress == null || clusterAddress.isBlank() ? "127.0.0.1" : clusterAddress;
        seeds = seeds == null ? List.of() : List.copyOf(seeds);
        nodeLabels = nodeLabels == null ? Map.of() : Map.copyOf(nodeLabels);
        config = config == null ? Map.of() : Map.copyOf(config);
    }

    /** A one-machine Vireo ({@code vireo up}): control plane and the node {@code nodeName}, on 127.0.0.1. */
    public VireoSettings(String address, int port, Path dataDir, String hypervisor, Path imagesDir, int clusterPort,
                         String nodeName, Map<String, Object> config) {
        this(address, port, dataDir, hypervisor, imagesDir, "127.0.0.1", clusterPort, List.of(), nodeName, Map.of(),
                config);
    }

    public static VireoSettings defaults() {
        return new VireoSettings("127.0.0.1", 8080, Path.of("vireo-data"), null, null, 0, "local", Map.of());
    }

    public Path images() {
        return imagesDir != null ? imagesDir : dataDir.resolve("images");
    }

    /** Whether this control plane also runs a node of this machine (one-machine mode). */
    public boolean withNode() {
        return nodeName != null;
    }
}
