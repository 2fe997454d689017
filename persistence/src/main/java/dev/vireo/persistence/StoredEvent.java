package dev.vireo.persistence;

import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Sequence;

import java.time.Instant;

/**
 * One event as the journal holds it.
 *
 * @param offset     the journal's global ordering: strictly increasing, stable, the SSE event id
 * @param timestamp  when the journal wrote the event
 * @param event      the event itself (a {@code CborSerializable} of the writer's choosing)
 */
public record StoredEvent(long offset, String persistenceId, long sequenceNr, Instant timestamp, Object event) {

    static StoredEvent of(EventEnvelope envelope) {
        if (!(envelope.offset() instanceof Sequence sequence)) {
            throw new IllegalStateException("expected a Sequence offset from the JDBC journal, got " + envelope.offset());
        }
        return new StoredEvent(sequence.value(), envelope.persistenceId(), envelope.sequenceNr(),
                Instant.ofEpochMilli(envelope.timestamp()), envelope.event());
    }
}
