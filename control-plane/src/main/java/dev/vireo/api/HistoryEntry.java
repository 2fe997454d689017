package dev.vireo.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.persistence.LoggedEvent;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.persistence.StoredNodeEvent;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.node.NodeEvent;
import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;

/**
 * One event as the history and the event stream show it. {@code data} is the event's own fields; the
 * stream adds {@code offset} and {@code namespace} and {@code name} for a VM's event, {@code node} for a node's.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record HistoryEntry(Long offset, String namespace, String name, String node, long seqNr, String timestamp,
                    String type, String principal, String requestId, JsonNode data) {

    /** An event of a VM's history. */
    static HistoryEntry of(StoredEvent stored) {
        VmEvent event = stored.event();
        return new HistoryEntry(null, null, null, null, stored.sequenceNr(), event.meta().timestamp().toString(),
                type(event), event.meta().principal(), event.meta().requestId(), data(event));
    }

    /** An event of the stream: a VM's, with its namespace and name, or a node's, with the node. */
    static HistoryEntry onStream(LoggedEvent logged) {
        if (logged instanceof StoredNodeEvent stored) {
            NodeEvent event = stored.event();
            EventMeta meta = event.meta();
            return new HistoryEntry(stored.offset(), null, null, event.node(), stored.sequenceNr(),
                    meta.timestamp().toString(), NodeEvent.typeOf(event), meta.principal(), meta.requestId(),
                    data(event));
        }
        StoredEvent stored = (StoredEvent) logged;
        HistoryEntry e = of(stored);
        VmId id = stored.vm();
        return new HistoryEntry(stored.offset(), id.namespace(), id.name(), null, e.seqNr, e.timestamp, e.type,
                e.principal, e.requestId, e.data);
    }

    /** The event's own fields. */
    private static JsonNode data(Object event) {
        ObjectNode data = Json.mapper().valueToTree(event);
        data.remove("type");
        data.remove("meta");
        return data;
    }

    static String type(VmEvent event) {
        return VmEvent.typeOf(event);
    }
}
