package dev.vireo.node;

import dev.vireo.protocol.vm.VmId;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How one node agent runs: its node name, the libvirt URI it drives, the labels it registers with,
 * optional capacity overrides ({@code null} means: what libvirt's nodeInfo says), and the data
 * directory that holds the VMs' files ({@link VmFiles}), the images directory kernels and disk images must come
 * from ({@code null}: no confinement, for an agent tested on its own), the libvirt URI other nodes reach
 * this node's daemon by ({@code null}: the hypervisor URI), and the address incoming live migrations listen on
 * ({@code null}: {@link #DEFAULT_MIGRATION_ADDRESS}).
 */
public record NodeAgentSettings(String nodeName, String hypervisorUri, Map<String, String> labels,
                                Integer cpusOverride, Long memoryBytesOverride, Duration heartbeatInterval,
                                Path dataDirectory, Path imagesDirectory, String advertisedUri,
                                String migrationAddress) {

    /**
     * Where incoming live migrations listen unless {@code vireo node --migration-address} says: the JVM property
     * {@code vireo.migration.address} (the way it was given before the flag), else loopback (every node on one host).
     */
    public static final String DEFAULT_MIGRATION_ADDRESS = System.getProperty("vireo.migration.address", "127.0.0.1");

    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);
    /** Where {@link #of} puts the VMs' files unless told otherwise (vireo up's default --data). */
    public static final Path DEFAULT_DATA_DIRECTORY = Path.of("vireo-data");

    public NodeAgentSettings {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(hypervisorUri, "hypervisorUri");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        heartbeatInterval = heartbeatInterval == null ? DEFAULT_HEARTBEAT : heartbeatInterval;
        if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive, was " + heartbeatInterval);
        }
        dataDirectory = (dataDirectory == null ? DEFAULT_DATA_DIRECTORY : dataDirectory).toAbsolutePath().normalize();
        imagesDirectory = imagesDirectory == null ? null : imagesDirectory.toAbsolutePath().normalize();
        advertisedUri = advertisedUri == null || advertisedUri.isBlank() ? hypervisorUri : advertisedUri;
        migrationAddress = migrationAddress == null || migrationAddress.isBlank() ? DEFAULT_MIGRATION_ADDRESS
                : migrationAddress;
    }

    /** The settings as they were before images and the advertised URI. */
    public NodeAgentSettings(String nodeName, String hypervisorUri, Map<String, String> labels,
                             Integer cpusOverride, Long memoryBytesOverride, Duration heartbeatInterval,
                             Path dataDirectory) {
        this(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride, heartbeatInterval, dataDirectory,
                null, null, null);
    }

    /** The settings as they were before the data directory: files go to {@link #DEFAULT_DATA_DIRECTORY}. */
    public NodeAgentSettings(String nodeName, String hypervisorUri, Map<String, String> labels,
                             Integer cpusOverride, Long memoryBytesOverride, Duration heartbeatInterval) {
        this(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride, heartbeatInterval, null);
    }

    /** A node with capacity from libvirt, the default heartbeat and the default data directory. */
    public static NodeAgentSettings of(String nodeName, String hypervisorUri, Map<String, String> labels) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, null, null, DEFAULT_HEARTBEAT, null);
    }

    public NodeAgentSettings withCapacity(Integer cpus, Long memoryBytes) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpus, memoryBytes, heartbeatInterval,
                dataDirectory, imagesDirectory, advertisedUri, migrationAddress);
    }

    public NodeAgentSettings withHeartbeat(Duration interval) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride, interval,
                dataDirectory, imagesDirectory, advertisedUri, migrationAddress);
    }

    /** The directory under which the VMs' overlays and console logs live ({@code <data>/vms/...}). */
    public NodeAgentSettings withDataDirectory(Path directory) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride,
                heartbeatInterval, directory, imagesDirectory, advertisedUri, migrationAddress);
    }

    /** The only directory kernels, initrds and disk images may come from; the node reports what it holds. */
    public NodeAgentSettings withImagesDirectory(Path directory) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride,
                heartbeatInterval, dataDirectory, directory, advertisedUri, migrationAddress);
    }

    /** The libvirt URI other nodes reach this node's daemon by (live migration). */
    public NodeAgentSettings withAdvertisedUri(String uri) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride,
                heartbeatInterval, dataDirectory, imagesDirectory, uri, migrationAddress);
    }

    /** The address incoming live migrations listen on: one the other nodes reach ({@code --migration-address}). */
    public NodeAgentSettings withMigrationAddress(String address) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride,
                heartbeatInterval, dataDirectory, imagesDirectory, advertisedUri, address);
    }

    public VmFiles files(VmId vm) {
        return VmFiles.of(dataDirectory, vm);
    }
}
