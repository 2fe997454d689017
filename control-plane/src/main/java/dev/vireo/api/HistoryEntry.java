package dev.vireo.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.persistence.StoredEvent;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;

/**
 * One event as the history and the event stream show it. {@code data} is the event's own fields; the
 * stream adds {@code namespace}, {@code name} and {@code offset}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record HistoryEntry(Long offset, String namespace, String name, long seqNr, String timestamp, String type,
                    String principal, String requestId, JsonNode data) {

    static HistoryEntry of(StoredEvent stored) {
        VmEvent event = (VmEvent) stored.event();
        ObjectNode data = Json.mapper().valueToTree(event);
        data.remove("type");
        data.remove("meta");
        return new HistoryEntry(null, null, null, stored.sequenceNr(), event.meta().timestamp().toString(),
                type(event), event.meta().principal(), event.meta().requestId(), data);
    }

    static HistoryEntry onStream(StoredEvent stored) {
        HistoryEntry e = of(stored);
        VmId id = VmId.fromPersistenceId(stored.persistenceId());
        return new HistoryEntry(stored.offset(), id.namespace(), id.name(), e.seqNr, e.timestamp, e.type, e.principal,
                e.requestId, e.data);
    }

    static String type(VmEvent event) {
        return event.getClass().getSimpleName();
    }
}
