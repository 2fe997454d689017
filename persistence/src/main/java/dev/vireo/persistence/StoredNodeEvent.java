package dev.vireo.persistence;

import dev.vireo.protocol.node.NodeEvent;
import java.time.Instant;

/** One event of the nodes' log ({@link EventLog#NODES_PERSISTENCE_ID}) as the journal holds it. */
public record StoredNodeEvent(long offset, long sequenceNr, Instant timestamp, NodeEvent event) implements LoggedEvent {
}
