package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node agent announces itself (at start, on every change of readiness, and every few seconds as a
 * heartbeat) with its capacity and the address commands for its domains go to.
 */
public record NodeRegistration(NodeInfo info, ActorRef<NodeAgentCommand> agent) implements CborSerializable {
}
