package dev.vireo.cluster;

import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.scheduler.Scheduler;
import dev.vireo.vm.VirtualMachineEntity;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The node runtime's way into the control plane, one per JVM that runs a node agent: registrations go to
 * the scheduler, reports to the VM's entity (wherever sharding keeps it). The agent knows only these refs.
 */
public final class NodeLink {

    private NodeLink() {
    }

    public static Behavior<Object> create(ActorRef<Scheduler.Command> scheduler, ClusterSharding sharding,
                                          String nodeName) {
        AtomicLong sequence = new AtomicLong();
        return Behaviors.receive(Object.class)
                .onMessage(NodeRegistration.class, reg -> {
                    scheduler.tell(new Scheduler.RegisterNode(reg));
                    return Behaviors.same();
                })
                .onMessage(NodeReport.class, report -> {
                    String requestId = "node-" + nodeName + "-" + sequence.incrementAndGet();
                    sharding.entityRefFor(VirtualMachineEntity.TYPE_KEY, report.vm().entityId())
                            .tell(new VirtualMachineEntity.Execute(new VmCommand.ReportFromNode(requestId, report), null));
                    return Behaviors.same();
                })
                .build();
    }
}
