package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import java.util.Map;

/**
 * A node as it registers with the scheduler: its capacity, labels and hypervisor.
 * {@code ready} turns false when the agent loses its hypervisor connection.
 */
public record NodeInfo(String name, int cpus, long memoryBytes, Map<String, String> labels, String hypervisor,
                       String virtualization, boolean ready) implements CborSerializable {
}
