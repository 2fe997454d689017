package dev.vireo.scheduler;

import dev.vireo.protocol.CborSerializable;
import java.util.List;
import java.util.Map;

/** A node as {@code GET /api/v1/nodes} shows it. */
public record NodeView(String name, boolean ready, String hypervisor, String virtualization, Map<String, String> labels,
                       Resources capacity, Resources allocated, List<String> virtualMachines) implements CborSerializable {

    public record Resources(int cpus, long memoryBytes) {
    }
}
