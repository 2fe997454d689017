package dev.vireo.persistence;

import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import java.time.Instant;

/**
 * One VM event as the journal holds it.
 *
 * @param offset     the journal's global ordering: strictly increasing, stable, the SSE event id
 * @param sequenceNr the event's number in its VM's log (1, 2, …): the resourceVersion after it
 * @param timestamp  when the journal wrote the event
 */
public record StoredEvent(long offset, VmId vm, long sequenceNr, Instant timestamp, VmEvent event)
        implements LoggedEvent {
}
