package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import java.util.Map;

/**
 * A node as it registers with the scheduler: its capacity, labels, hypervisor and images.
 * {@code ready} turns false when the agent loses its hypervisor connection. {@code hostId} names the
 * hypervisor host (libvirt's host UUID and URI): a node runtime that comes back on the same host may take
 * over its name at once, another one only once the name's lease is over. {@code libvirtUri} is the URI
 * other nodes reach this node's libvirt daemon by (migration).
 */
public record NodeInfo(String name, int cpus, long memoryBytes, Map<String, String> labels, String hypervisor,
                       String virtualization, boolean ready, String hostId, String libvirtUri,
                       NodeImages images) implements CborSerializable {

    public NodeInfo {
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        images = images == null ? NodeImages.NONE : images;
        libvirtUri = libvirtUri == null ? hypervisor : libvirtUri;
    }

    /** A node without host identity or images (tests, and nodes before they scanned their images). */
    public NodeInfo(String name, int cpus, long memoryBytes, Map<String, String> labels, String hypervisor,
                    String virtualization, boolean ready) {
        this(name, cpus, memoryBytes, labels, hypervisor, virtualization, ready, null, hypervisor, NodeImages.NONE);
    }

    public NodeInfo withReady(boolean nowReady) {
        return new NodeInfo(name, cpus, memoryBytes, labels, hypervisor, virtualization, nowReady, hostId, libvirtUri,
                images);
    }

    public NodeInfo withImages(NodeImages held) {
        return new NodeInfo(name, cpus, memoryBytes, labels, hypervisor, virtualization, ready, hostId, libvirtUri,
                held);
    }

    /** The capacity the scheduler offers: {@code cpuAllocationRatio} vCPUs per host CPU. */
    public NodeInfo withCpus(int offered) {
        return new NodeInfo(name, offered, memoryBytes, labels, hypervisor, virtualization, ready, hostId, libvirtUri,
                images);
    }

    /** libvirt's test driver keeps its domains inside the node's JVM: they run no guest and have no console. */
    public boolean runsGuests() {
        return !"test".equals(virtualization);
    }
}
