package dev.vireo.persistence;

import java.time.Instant;

/**
 * One event as the journal holds it.
 *
 * @param offset     the journal's global ordering: strictly increasing, stable, the SSE event id
 * @param timestamp  when the journal wrote the event
 * @param event      the event itself (a {@code CborSerializable} of the writer's choosing)
 */
public record StoredEvent(long offset, String persistenceId, long sequenceNr, Instant timestamp, Object event) {
}
