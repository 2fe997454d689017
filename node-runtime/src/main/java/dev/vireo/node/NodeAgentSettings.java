package dev.vireo.node;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How one node agent runs: its node name, the libvirt URI it drives, the labels it registers with, and
 * optional capacity overrides ({@code null} means: what libvirt's nodeInfo says).
 */
public record NodeAgentSettings(String nodeName, String hypervisorUri, Map<String, String> labels,
                                Integer cpusOverride, Long memoryBytesOverride, Duration heartbeatInterval) {

    public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(5);

    public NodeAgentSettings {
        Objects.requireNonNull(nodeName, "nodeName");
        Objects.requireNonNull(hypervisorUri, "hypervisorUri");
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        heartbeatInterval = heartbeatInterval == null ? DEFAULT_HEARTBEAT : heartbeatInterval;
        if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive, was " + heartbeatInterval);
        }
    }

    /** A node with capacity from libvirt and the default heartbeat. */
    public static NodeAgentSettings of(String nodeName, String hypervisorUri, Map<String, String> labels) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, null, null, DEFAULT_HEARTBEAT);
    }

    public NodeAgentSettings withCapacity(Integer cpus, Long memoryBytes) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpus, memoryBytes, heartbeatInterval);
    }

    public NodeAgentSettings withHeartbeat(Duration interval) {
        return new NodeAgentSettings(nodeName, hypervisorUri, labels, cpusOverride, memoryBytesOverride, interval);
    }
}
