package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;

/**
 * Everything a node runtime sends to the control plane: registrations, reports about domains, lease
 * renewals and the question which domains it still owns. One type, so that the node's way into the cluster
 * (the control plane's {@code NodeLink}) is one typed actor.
 */
public interface FromNode extends CborSerializable {
}
