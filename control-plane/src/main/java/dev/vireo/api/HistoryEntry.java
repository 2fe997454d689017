package dev.vireo.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.persistence.StoredEvent;
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

    static HistoryEntry of(StoredEvent stored) {
        Object event = stored.event();
        EventMeta meta = event instanceof VmEvent vm ? vm.meta() : ((NodeEvent) event).meta();
        ObjectNode data = Json.mapper().valueToTree(event);
        data.remove("type");
        data.remove("meta");
        return new HistoryEntry(null, null, null, null, stored.sequenceNr(), meta.timestamp().toString(),
                event.getClass().getSimpleName(), meta.principal(), meta.requestId(), data);
    }

    static HistoryEntry onStream(StoredEvent stored) {
        HistoryEntry e = of(stored);
        if (stored.event() instanceof NodeEvent node) {
            return new HistoryEntry(stored.offset(), null, null, node.node(), e.seqNr, e.timestamp, e.type,
                    e.principal, e.requestId, e.data);
        }
        VmId id = VmId.fromPersistenceId(stored.persistenceId());
        return new HistoryEntry(stored.offset(), id.namespace(), id.name(), null, e.seqNr, e.timestamp, e.type,
                e.principal, e.requestId, e.data);
    }

    static String type(VmEvent event) {
        return event.getClass().getSimpleName();
    }
}
