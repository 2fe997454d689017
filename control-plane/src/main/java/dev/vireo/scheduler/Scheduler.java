package dev.vireo.scheduler;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Terminated;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;

/**
 * The cluster singleton that places VMs on nodes and knows where each node agent is. Capacity is reserved
 * at placement, so concurrent placements never overcommit; requests that do not fit wait and are tried
 * again whenever capacity frees or a node joins. Decisions are made by {@link Placements} (plain code).
 */
public final class Scheduler extends AbstractBehavior<Scheduler.Command> {

    public sealed interface Command extends CborSerializable {
    }

    public record RegisterNode(NodeRegistration registration) implements Command {
    }

    /** Find a node for placement {@code incarnation} of {@code vm}; answered to the VM entity. */
    public record Place(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> nodeSelector,
                        String requestId) implements Command {
    }

    /** A recovered VM says it holds this placement. */
    public record Claim(VmId vm, String node, long incarnation, int cores, long memoryBytes) implements Command {
    }

    public record Release(VmId vm, long incarnation) implements Command {
    }

    /** Deliver a command to the node agent of {@code command.node()}, held until that node registers. */
    public record ToNode(NodeAgentCommand command) implements Command {
    }

    /** The VM {@code uid} is deleted: every registered node deletes the files it keeps for that VM. */
    public record DeleteVmFiles(VmId vm, String uid, String requestId) implements Command {
    }

    public record GetNodes(ActorRef<NodeList> replyTo) implements Command {
    }

    public record NodeList(List<NodeView> items) implements CborSerializable {
    }

    private record AgentTerminated(String node) implements Command {
    }

    private final ActorContext<Command> context;
    private final BiConsumer<VmId, VmCommand> toVm;
    private final Placements placements = new Placements();
    private final NodeMailboxes mailboxes;
    private final int cpuAllocationRatio;

    /** @param toVm delivers a system command to a VM entity (through sharding) */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm) {
        return create(toVm, 1);
    }

    /**
     * @param cpuAllocationRatio vCPUs placed per host CPU (KubeVirt's cpuAllocationRatio): a guest rarely keeps its
     *                           vCPUs busy, so a node offers {@code cpus * ratio}; memory is never overcommitted
     */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm, int cpuAllocationRatio) {
        return Behaviors.setup(context -> new Scheduler(context, toVm, cpuAllocationRatio));
    }

    private Scheduler(ActorContext<Command> context, BiConsumer<VmId, VmCommand> toVm, int cpuAllocationRatio) {
        super(context);
        this.cpuAllocationRatio = Math.max(1, cpuAllocationRatio);
        this.context = context;
        this.toVm = toVm;
        this.mailboxes = new NodeMailboxes(context.getLog());
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(RegisterNode.class, this::register)
                .onMessage(Place.class, this::place)
                .onMessage(Claim.class, c -> {
                    placements.claim(c.vm(), c.node(), c.incarnation(), c.cores(), c.memoryBytes());
                    return this;
                })
                .onMessage(Release.class, r -> {
                    if (placements.release(r.vm(), r.incarnation())) {
                        retryWaiting();
                    }
                    return this;
                })
                .onMessage(ToNode.class, this::toNode)
                .onMessage(DeleteVmFiles.class, d -> {
                    mailboxes.registered().forEach(node ->
                            mailboxes.deliver(new NodeAgentCommand.DeleteVmFiles(node, d.vm(), d.uid(), d.requestId())));
                    return this;
                })
                .onMessage(GetNodes.class, g -> {
                    g.replyTo().tell(new NodeList(placements.views()));
                    return this;
                })
                .onMessage(AgentTerminated.class, this::nodeLost)
                .build();
    }

    private Behavior<Command> register(RegisterNode r) {
        NodeRegistration reg = r.registration();
        boolean known = mailboxes.agent(reg.info().name()) != null;
        boolean wasReady = placements.isReady(reg.info().name());
        if (!reg.agent().equals(mailboxes.agent(reg.info().name()))) {
            context.watchWith(reg.agent(), new AgentTerminated(reg.info().name()));
        }
        NodeInfo offered = reg.info();
        placements.upsertNode(new NodeInfo(offered.name(), offered.cpus() * cpuAllocationRatio, offered.memoryBytes(),
                offered.labels(), offered.hypervisor(), offered.virtualization(), offered.ready()));
        mailboxes.register(reg.info().name(), reg.agent());
        if (!known) {
            context.getLog().info("node {} joined: {} vCPUs ({} CPUs x {}), {} MiB, hypervisor {} ({}), labels {}",
                    reg.info().name(), reg.info().cpus() * cpuAllocationRatio, reg.info().cpus(), cpuAllocationRatio,
                    reg.info().memoryBytes() >> 20, reg.info().hypervisor(),
                    reg.info().virtualization(), reg.info().labels());
            retryWaiting();
        } else if (wasReady && !reg.info().ready()) {
            List<VmId> vms = placements.vmsOn(reg.info().name());
            context.getLog().warn("node {} is not ready (its hypervisor does not answer); {} VM(s) there are Unknown",
                    reg.info().name(), vms.size());
            String requestId = "node-not-ready-" + UUID.randomUUID().toString().substring(0, 8);
            vms.forEach(vm -> toVm.accept(vm, new VmCommand.NodeNotReady(requestId, reg.info().name())));
        } else if (!wasReady && reg.info().ready()) {
            context.getLog().info("node {} is ready again", reg.info().name());
            retryWaiting();
        }
        return this;
    }

    private Behavior<Command> place(Place p) {
        Placements.Outcome outcome = placements.place(p.vm(), p.incarnation(), p.cores(), p.memoryBytes(),
                p.nodeSelector(), p.requestId());
        if (outcome instanceof Placements.Placed placed) {
            context.getLog().info("{} placed on node {} (incarnation {}) [request {}]", p.vm(), placed.node(),
                    p.incarnation(), p.requestId());
            toVm.accept(p.vm(), new VmCommand.PlacementSucceeded(p.requestId(), placed.node(), p.incarnation()));
        } else if (outcome instanceof Placements.Waiting waiting) {
            context.getLog().info("{} unschedulable: {} [request {}]", p.vm(), waiting.reason(), p.requestId());
            toVm.accept(p.vm(), new VmCommand.PlacementFailed(p.requestId(), p.incarnation(), waiting.reason()));
        }
        return this;
    }

    private void retryWaiting() {
        for (Placements.Retried retried : placements.retryWaiting()) {
            context.getLog().info("{} placed on node {} (incarnation {}) after waiting [request {}]", retried.vm(),
                    retried.node(), retried.incarnation(), retried.requestId());
            toVm.accept(retried.vm(), new VmCommand.PlacementSucceeded(retried.requestId(), retried.node(),
                    retried.incarnation()));
        }
    }

    /** A start goes out only for the placement the scheduler holds: a lost node's placement is gone. */
    private Behavior<Command> toNode(ToNode t) {
        if (t.command() instanceof NodeAgentCommand.StartDomain start
                && !placements.holds(start.vm(), start.node(), start.incarnation())) {
            context.getLog().info("{} start on node {} (incarnation {}) not sent: that placement is no longer held"
                    + " [request {}]", start.vm(), start.node(), start.incarnation(), start.requestId());
            return this;
        }
        mailboxes.deliver(t.command());
        return this;
    }

    private Behavior<Command> nodeLost(AgentTerminated t) {
        List<VmId> vms = placements.removeNode(t.node());
        mailboxes.remove(t.node());
        context.getLog().warn("node {} lost; {} VM(s) were placed there", t.node(), vms.size());
        String requestId = "node-lost-" + UUID.randomUUID().toString().substring(0, 8);
        vms.forEach(vm -> toVm.accept(vm, new VmCommand.LoseNode(requestId, t.node())));
        return this;
    }
}
