package dev.vireo.scheduler;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.NodeImages;
import java.util.List;
import java.util.Map;

/**
 * A node as {@code GET /api/v1/nodes} shows it. {@code state}: Ready (takes VMs), NotReady ({@code reason} says
 * why) or Lost; {@code cordoned}: it takes no new VMs whatever its state. {@code allocated} is what its VMs
 * reserve of {@code capacity} (vCPUs after the allocation ratio).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeView(String name, String state, String reason, boolean ready, boolean cordoned, String hypervisor,
                       String libvirtUri, String virtualization, String address, Map<String, String> labels,
                       Resources capacity, Resources allocated, List<String> virtualMachines, String imagesDirectory,
                       List<NodeImages.ImageFile> images) implements CborSerializable {

    public record Resources(int cpus, long memoryBytes) {
    }

    /** The view of the placement books alone (no roster): Ready when ready. */
    public NodeView(String name, boolean ready, String hypervisor, String virtualization, Map<String, String> labels,
                    Resources capacity, Resources allocated, List<String> virtualMachines) {
        this(name, ready ? "Ready" : "NotReady", null, ready, false, hypervisor, hypervisor, virtualization, null,
                labels, capacity, allocated, virtualMachines, null, List.of());
    }
}
