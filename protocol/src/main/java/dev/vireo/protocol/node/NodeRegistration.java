package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A node agent announces itself (at start, on every change of readiness, and every few seconds as a
 * heartbeat) with its capacity, the address commands for its domains go to, where to read its VMs'
 * consoles, and the {@code session} of its node runtime (one per actor system: a node runtime that
 * restarts, or rejoins after it was removed from the cluster, registers under a new one). The scheduler
 * answers a refusal to {@code answers} (a name already in use); acceptance needs no answer.
 */
public record NodeRegistration(NodeInfo info, ActorRef<NodeDelivery> agent, ActorRef<NodeConsole.Read> console,
                               String session, ActorRef<Refused> answers) implements FromNode {

    /** The scheduler did not take the registration; {@code retry}: it may later (the name's lease is not over). */
    public record Refused(String node, String reason, boolean retry) implements CborSerializable {
    }

    /** A registration without console, session or answers: a node agent on its own (tests). */
    public NodeRegistration(NodeInfo info, ActorRef<NodeDelivery> agent) {
        this(info, agent, null, null, null);
    }
}
