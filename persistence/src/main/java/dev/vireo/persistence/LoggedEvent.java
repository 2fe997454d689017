package dev.vireo.persistence;

import java.time.Instant;

/** One event of the global stream: a VM's ({@link StoredEvent}) or the nodes' ({@link StoredNodeEvent}). */
public sealed interface LoggedEvent permits StoredEvent, StoredNodeEvent {

    /** The journal's global ordering: strictly increasing, stable, the SSE event id. */
    long offset();

    /** The event's number in its own log. */
    long sequenceNr();

    /** When the journal wrote the event. */
    Instant timestamp();
}
