package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;

/**
 * A command as the control plane delivers it to a node agent, numbered: numbers grow with every delivery
 * (across nodes, and across restarts of the control plane, as they start from the clock). When a node is
 * declared lost, the commands it was sent up to then are void: a node that comes back asks which of its
 * domains are still its own and learns the number below which commands are void
 * ({@link NodeLease.Ownership#voidBefore}), so that it never carries out a start meant for a placement that
 * ended while it was cut off.
 */
public record NodeDelivery(long sequence, NodeAgentCommand command) implements CborSerializable {
}
