package dev.vireo.cluster;

import dev.vireo.protocol.api.RequestIds;
import dev.vireo.protocol.node.FromNode;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.scheduler.Scheduler;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The node runtime's way into the control plane, one per JVM that runs a node agent: registrations, lease
 * renewals, ownership questions and reports all go to the scheduler singleton (through its proxy, wherever
 * it runs), which hands reports on to the VMs' entities. A node runtime has no journal and so no sharding
 * of its own: the singleton is its one address in the control plane. The agent knows only this actor.
 */
public final class NodeLink {

    private NodeLink() {
    }

    public static Behavior<FromNode> create(ActorRef<Scheduler.Command> scheduler, String nodeName) {
        return Behaviors.setup(context -> {
            long[] sequence = {0};
            return Behaviors.receive(FromNode.class)
                    .onMessage(NodeRegistration.class, reg -> {
                        scheduler.tell(new Scheduler.RegisterNode(reg));
                        return Behaviors.same();
                    })
                    .onMessage(NodeLease.Renew.class, renew -> {
                        scheduler.tell(new Scheduler.RenewLease(renew));
                        return Behaviors.same();
                    })
                    .onMessage(NodeLease.Reconcile.class, reconcile -> {
                        scheduler.tell(new Scheduler.ReconcileNode(reconcile));
                        return Behaviors.same();
                    })
                    .onMessage(NodeReport.class, report -> {
                        scheduler.tell(new Scheduler.Report(report, RequestIds.NODE + nodeName + "-" + ++sequence[0]));
                        return Behaviors.same();
                    })
                    .build();
        });
    }
}
