package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.TypeNames;
import dev.vireo.protocol.vm.EventMeta;
import java.util.List;
import java.util.Map;

/**
 * The history of the cluster's nodes, as the event stream shows it beside the VMs' events. The type names
 * are API: add new ones, never rename.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
        @JsonSubTypes.Type(value = NodeEvent.NodeJoined.class, name = "NodeJoined"),
        @JsonSubTypes.Type(value = NodeEvent.NodeReady.class, name = "NodeReady"),
        @JsonSubTypes.Type(value = NodeEvent.NodeNotReady.class, name = "NodeNotReady"),
        @JsonSubTypes.Type(value = NodeEvent.NodeLost.class, name = "NodeLost"),
        @JsonSubTypes.Type(value = NodeEvent.NodeCordoned.class, name = "NodeCordoned"),
        @JsonSubTypes.Type(value = NodeEvent.NodeUncordoned.class, name = "NodeUncordoned")
})
public sealed interface NodeEvent extends CborSerializable {

    EventMeta meta();

    String node();

    /** The event's type as the API names it (event stream): its name in the list above. */
    static String typeOf(NodeEvent event) {
        return TypeNames.of(NodeEvent.class).get(event.getClass());
    }

    /** A node runtime registered under {@code node} ({@code address}: its cluster member). */
    record NodeJoined(EventMeta meta, String node, String address, int cpus, long memoryBytes,
                      Map<String, String> labels, String hypervisor, String libvirtUri) implements NodeEvent {
    }

    /** The node is ready again: its hypervisor answers and its lease is renewed. */
    record NodeReady(EventMeta meta, String node) implements NodeEvent {
    }

    /** The node takes no new VMs for now; {@code reason} says why (hypervisor, lease renewals, cluster). */
    record NodeNotReady(EventMeta meta, String node, String reason) implements NodeEvent {
    }

    /**
     * The node's lease expired and it had time to fence itself: its VMs ({@code virtualMachines}) are no
     * longer its own, and each of them follows its runStrategy.
     */
    record NodeLost(EventMeta meta, String node, String reason, List<String> virtualMachines) implements NodeEvent {
    }

    record NodeCordoned(EventMeta meta, String node) implements NodeEvent {
    }

    record NodeUncordoned(EventMeta meta, String node) implements NodeEvent {
    }
}
