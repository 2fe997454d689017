package dev.vireo.cluster;

import dev.vireo.protocol.api.RequestIds;
import dev.vireo.protocol.node.FromNode;
import dev.vireo.protocol.node.NodeIdentity;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.scheduler.Scheduler;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.slf4j.Logger;

/**
 * The node runtime's way into the control plane, one per JVM that runs a node agent: registrations, lease
 * renewals, ownership questions and reports all go to the scheduler singleton (through its proxy, wherever
 * it runs), which hands reports on to the VMs' entities. A node runtime has no journal and so no sharding
 * of its own: the singleton is its one address in the control plane. The agent knows only this actor.
 *
 * <p>The link also proves the node's name when the control plane asks ({@link NodeIdentity}): with the node's
 * token ({@code --node-token-file}) it signs the challenge for this member's own address, and only for it.
 */
public final class NodeLink {

    private NodeLink() {
    }

    /** What the control plane says to the link about the node's identity, as the link receives it. */
    private record FromControlPlane(NodeIdentity.ToLink message) implements FromNode {
    }

    public static Behavior<FromNode> create(ActorRef<Scheduler.Command> scheduler, String nodeName) {
        return create(scheduler, nodeName, null, () -> null);
    }

    /**
     * @param token       the node's credential; null: it has none (a control plane that wants one refuses it)
     * @param selfAddress this member's address as the cluster knows it: the only one the link signs a challenge for
     */
    public static Behavior<FromNode> create(ActorRef<Scheduler.Command> scheduler, String nodeName, String token,
                                            Supplier<String> selfAddress) {
        return Behaviors.setup(context -> {
            Logger log = context.getLog();
            ActorRef<NodeIdentity.ToLink> link = context.messageAdapter(NodeIdentity.ToLink.class,
                    FromControlPlane::new);
            long[] sequence = {0};
            String[] lastRefusal = {null};
            return Behaviors.receive(FromNode.class)
                    .onMessage(NodeRegistration.class, reg -> {
                        scheduler.tell(new Scheduler.RegisterNode(reg, link));
                        return Behaviors.same();
                    })
                    .onMessage(NodeLease.Renew.class, renew -> {
                        scheduler.tell(new Scheduler.RenewLease(renew, link));
                        return Behaviors.same();
                    })
                    .onMessage(NodeLease.Reconcile.class, reconcile -> {
                        scheduler.tell(new Scheduler.ReconcileNode(reconcile, link));
                        return Behaviors.same();
                    })
                    .onMessage(NodeReport.class, report -> {
                        scheduler.tell(new Scheduler.Report(report, RequestIds.NODE + nodeName + "-" + ++sequence[0],
                                link));
                        return Behaviors.same();
                    })
                    .onMessage(FromControlPlane.class, m -> {
                        if (m.message() instanceof NodeIdentity.Challenge challenge) {
                            String self = selfAddress.get();
                            if (self != null && !self.equals(challenge.address())) {
                                log.warn("node {}: a challenge for the member at {} is not answered: this member is {}",
                                        nodeName, challenge.address(), self);
                            } else if (token == null) {
                                log.error("node {}: the control plane asks this node to prove its name, and it has no"
                                        + " credential: start it with --node-token-file", nodeName);
                                scheduler.tell(new Scheduler.Prove(new NodeIdentity.Proof(nodeName, challenge.nonce(),
                                        "", link)));
                            } else {
                                log.info("node {}: proving its name to the control plane", nodeName);
                                scheduler.tell(new Scheduler.Prove(new NodeIdentity.Proof(nodeName, challenge.nonce(),
                                        NodeIdentity.mac(token, nodeName, challenge.address(), challenge.nonce()), link)));
                            }
                        } else if (m.message() instanceof NodeIdentity.Accepted accepted) {
                            lastRefusal[0] = null;
                            log.info("node {}: the control plane knows this member ({}) as node {}", nodeName,
                                    accepted.address(), accepted.node());
                        } else if (m.message() instanceof NodeIdentity.Refused refused
                                && !refused.reason().equals(lastRefusal[0])) {
                            lastRefusal[0] = refused.reason();
                            log.error("node {}: the control plane refuses this member as node {}: {}", nodeName,
                                    refused.node(), refused.reason());
                        }
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
