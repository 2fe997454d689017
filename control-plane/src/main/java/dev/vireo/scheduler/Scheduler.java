package dev.vireo.scheduler;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.auth.NodeCredentials;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.node.NodeIdentity;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The cluster singleton that places VMs on nodes and keeps the nodes: their registrations, their leases,
 * and the loss of a node whose lease ran out ({@link Nodes}). Capacity is reserved at placement, so
 * concurrent placements never overcommit; requests that do not fit wait and are tried again whenever
 * capacity frees or a node becomes Ready. Decisions are made by {@link Placements} and {@link NodeRoster}
 * (plain code).
 */
public final class Scheduler extends AbstractBehavior<Scheduler.Command> {

    public sealed interface Command extends CborSerializable {
    }

    /**
     * A message of a node runtime. {@code link()} is the node runtime's link, where the control plane asks it to
     * prove its name and answers the proof; when nodes must prove their names, a message without one is refused.
     */
    public sealed interface FromNodeLink extends Command {

        ActorRef<NodeIdentity.ToLink> link();

        /** The node the message speaks for. */
        String node();
    }

    public record RegisterNode(NodeRegistration registration, ActorRef<NodeIdentity.ToLink> link)
            implements FromNodeLink {

        public RegisterNode(NodeRegistration registration) {
            this(registration, null);
        }

        @Override
        public String node() {
            return registration.info().name();
        }
    }

    /** A node's report about a domain, for the VM's entity. */
    public record Report(NodeReport report, String requestId, ActorRef<NodeIdentity.ToLink> link)
            implements FromNodeLink {

        public Report(NodeReport report, String requestId) {
            this(report, requestId, null);
        }

        @Override
        public String node() {
            return report.node();
        }
    }

    public record RenewLease(NodeLease.Renew renew, ActorRef<NodeIdentity.ToLink> link) implements FromNodeLink {

        public RenewLease(NodeLease.Renew renew) {
            this(renew, null);
        }

        @Override
        public String node() {
            return renew.node();
        }
    }

    public record ReconcileNode(NodeLease.Reconcile reconcile, ActorRef<NodeIdentity.ToLink> link)
            implements FromNodeLink {

        public ReconcileNode(NodeLease.Reconcile reconcile) {
            this(reconcile, null);
        }

        @Override
        public String node() {
            return reconcile.node();
        }
    }

    /** A node runtime's answer to the control plane's challenge ({@link NodeIdentity}). */
    public record Prove(NodeIdentity.Proof proof) implements Command {
    }

    /**
     * Nodes must prove their names: with the {@code credentials} of each node; {@code memberAlive}: whether the
     * member at an address is in the cluster and reachable; {@code addressOf}: a link's member address as the
     * cluster knows it (a link in this JVM has a local address).
     */
    public record Identity(NodeCredentials credentials, Predicate<String> memberAlive,
                           Function<ActorRef<?>, String> addressOf) {
    }

    /**
     * Find a node for placement {@code incarnation} of {@code vm}; answered to the VM entity: to {@code answerTo}
     * when given (an entity that holds its decision until it knows the placement), else through sharding. A
     * placement that waits for capacity is answered through sharding once it is found.
     */
    public record Place(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> nodeSelector,
                        List<String> imageFiles, String requestId, ActorRef<VmCommand> answerTo) implements Command {
    }

    /** A recovered VM says it holds this placement. */
    public record Claim(VmId vm, String node, long incarnation, int cores, long memoryBytes) implements Command {
    }

    public record Release(VmId vm, long incarnation) implements Command {
    }

    /** Reserve a target for migration {@code migrationId}; answered to the VM entity. */
    public record ReserveMigrationTarget(VmId vm, String migrationId, String source, String node, long incarnation,
                                         int cores, long memoryBytes, Map<String, String> nodeSelector,
                                         List<String> imageFiles, String requestId) implements Command {
    }

    /** A VM recovered mid-migration says its migration holds this target. */
    public record ClaimMigrationTarget(VmId vm, String migrationId, String source, String node, long incarnation,
                                       int cores, long memoryBytes) implements Command {
    }

    public record ReleaseMigrationTarget(VmId vm, String migrationId) implements Command {
    }

    public record PromoteMigrationTarget(VmId vm, String migrationId, String node, long incarnation, int cores,
                                         long memoryBytes) implements Command {
    }

    /**
     * Could {@code node} be the target of a VM running on {@code source} (asked before a migration is accepted, so
     * that a request that cannot succeed is refused with the reason)? The reservation itself checks again.
     */
    public record CheckMigrationTarget(String source, String node, int cores, long memoryBytes,
                                       Map<String, String> nodeSelector, List<String> imageFiles,
                                       ActorRef<TargetCheck> replyTo) implements Command {
    }

    /** {@code reason} null: it could; {@code unknown}: no such node. */
    public record TargetCheck(String reason, boolean unknown) implements CborSerializable {
    }

    /** Deliver a command to the node agent of {@code command.node()}, held until that node registers. */
    public record ToNode(NodeAgentCommand command) implements Command {
    }

    /** The VM {@code uid} is deleted: every registered node deletes the files it keeps for that VM. */
    public record DeleteVmFiles(VmId vm, String uid, String requestId) implements Command {
    }

    public record GetNodes(ActorRef<NodeList> replyTo) implements Command {
    }

    /** The nodes, and where to read each one's consoles. */
    public record NodeList(List<NodeView> items, Map<String, ActorRef<NodeConsole.Read>> consoles)
            implements CborSerializable {
    }

    /** Cordon ({@code cordon}) or uncordon a node; answered with the node, or without one when it is unknown. */
    public record SetCordon(String node, boolean cordon, String requestId, String principal,
                            ActorRef<NodeAnswer> replyTo) implements Command {
    }

    public record NodeAnswer(NodeView node) implements CborSerializable {
    }

    enum Tick implements Command { CHECK_LEASES }

    record LogRecovered(NodeLog.State state) implements Command {
    }

    record OwnershipDecided(NodeLease.Reconcile reconcile, Map<NodeLease.Held, Boolean> answers) implements Command {
    }

    /**
     * How many live migrations may run at once: in the cluster, and out of one node (KubeVirt's defaults: 5 and 2).
     * The others wait, oldest first, until one ends.
     */
    public record MigrationLimits(int perCluster, int perNode) {
        public static final MigrationLimits DEFAULT = new MigrationLimits(5, 2);
    }

    /** How nodes are kept: the lease timing, and how often leases are checked. */
    public record NodeSettings(NodeRoster.Timing timing, Duration checkInterval) {

        public static NodeSettings of(Duration ttl, Duration renewInterval, Duration margin, Duration rejoinGrace,
                                      Duration checkInterval) {
            return new NodeSettings(new NodeRoster.Timing(ttl, renewInterval, margin, rejoinGrace), checkInterval);
        }

        public static final NodeSettings DEFAULT = of(Duration.ofSeconds(8), Duration.ofSeconds(1),
                Duration.ofSeconds(3), Duration.ofSeconds(30), Duration.ofMillis(250));
    }

    private final ActorContext<Command> context;
    private final StashBuffer<Command> stash;
    private final BiConsumer<VmId, VmCommand> toVm;
    private final Placements placements = new Placements();
    private final NodeMailboxes mailboxes;
    private final Nodes nodes;
    private final Identity identity;
    private final NodeIdentities identities;

    /** @param toVm delivers a system command to a VM entity (through sharding) */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm) {
        return create(toVm, vm -> java.util.concurrent.CompletableFuture.failedFuture(
                new IllegalStateException("no VM states here")), 1, NodeSettings.DEFAULT);
    }

    /**
     * @param vmState            a VM entity's state (asked when a node reconciles its domains)
     * @param cpuAllocationRatio vCPUs placed per host CPU (KubeVirt's cpuAllocationRatio): a guest rarely keeps its
     *                           vCPUs busy, so a node offers {@code cpus * ratio}; memory is never overcommitted
     */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm,
                                           Function<VmId, CompletionStage<VmState>> vmState, int cpuAllocationRatio,
                                           NodeSettings settings) {
        return create(toVm, vmState, cpuAllocationRatio, settings, MigrationLimits.DEFAULT);
    }

    /** @param limits how many live migrations may run at once, in the cluster and out of one node */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm,
                                           Function<VmId, CompletionStage<VmState>> vmState, int cpuAllocationRatio,
                                           NodeSettings settings, MigrationLimits limits) {
        return create(toVm, vmState, cpuAllocationRatio, settings, limits, null);
    }

    /** @param identity how nodes prove their names; null: any member may speak for any node */
    public static Behavior<Command> create(BiConsumer<VmId, VmCommand> toVm,
                                           Function<VmId, CompletionStage<VmState>> vmState, int cpuAllocationRatio,
                                           NodeSettings settings, MigrationLimits limits, Identity identity) {
        return Behaviors.setup(context -> Behaviors.withStash(10_000, stash -> Behaviors.withTimers(timers -> {
            Scheduler scheduler = new Scheduler(context, stash, timers, toVm, vmState, cpuAllocationRatio, settings,
                    identity);
            scheduler.placements.limitMigrations(limits);
            return scheduler.recovering();
        })));
    }

    private Scheduler(ActorContext<Command> context, StashBuffer<Command> stash, TimerScheduler<Command> timers,
                      BiConsumer<VmId, VmCommand> toVm, Function<VmId, CompletionStage<VmState>> vmState,
                      int cpuAllocationRatio, NodeSettings settings, Identity identity) {
        super(context);
        this.identity = identity;
        this.identities = identity == null ? null : new NodeIdentities(identity.credentials(), identity.memberAlive());
        this.context = context;
        this.stash = stash;
        this.toVm = toVm;
        this.mailboxes = new NodeMailboxes(context.getLog());
        ActorRef<NodeLog.Command> log = context.spawn(NodeLog.create(
                context.messageAdapter(NodeLog.State.class, LogRecovered::new)), "node-log");
        this.nodes = new Nodes(context, settings.timing(), placements, mailboxes, log, toVm, vmState,
                Math.max(1, cpuAllocationRatio), this::retryWaiting);
        timers.startTimerAtFixedRate(Tick.CHECK_LEASES, settings.checkInterval());
    }

    /**
     * Until the node log has recovered (which nodes exist, which are cordoned) placements and cordons wait;
     * nodes register and renew their leases meanwhile.
     */
    private Behavior<Command> recovering() {
        return Behaviors.receive(Command.class)
                .onMessage(LogRecovered.class, recovered -> {
                    nodes.recovered(recovered.state());
                    return stash.unstashAll(this);
                })
                .onMessage(Place.class, this::stashed)
                .onMessage(ReserveMigrationTarget.class, this::stashed)
                .onMessage(CheckMigrationTarget.class, this::stashed)
                .onMessage(SetCordon.class, this::stashed)
                .onMessage(GetNodes.class, this::stashed)
                .onAnyMessage(message -> {
                    handlers().receive(context, message);
                    return Behaviors.same();
                })
                .build();
    }

    private Behavior<Command> stashed(Command command) {
        if (!stash.isFull()) {
            stash.stash(command);
        }
        return Behaviors.same();
    }

    private Receive<Command> handlers;

    private Receive<Command> handlers() {
        if (handlers == null) {
            handlers = createReceive();
        }
        return handlers;
    }

    @Override
    public Receive<Command> createReceive() {
        return newReceiveBuilder()
                .onMessage(FromNodeLink.class, m -> {
                    if (admitted(m)) {
                        carryOut(m);
                    }
                    return this;
                })
                .onMessage(Prove.class, this::prove)
                .onMessage(OwnershipDecided.class, d -> {
                    nodes.ownershipDecided(d);
                    return this;
                })
                .onMessageEquals(Tick.CHECK_LEASES, () -> {
                    nodes.checkLeases();
                    if (identities != null) {
                        identities.refresh(System.nanoTime()).forEach((node, member) -> context.getLog().warn(
                                "node {}: its credential changed or was removed: the member at {} must prove its name"
                                        + " again", node, member));
                    }
                    return this;
                })
                .onMessage(LogRecovered.class, r -> this)
                .onMessage(Place.class, this::place)
                .onMessage(Claim.class, c -> {
                    nodes.claimed(c.node());
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
                .onMessage(ReserveMigrationTarget.class, this::reserveTarget)
                .onMessage(ClaimMigrationTarget.class, c -> {
                    if (placements.claimTarget(c.vm(), c.migrationId(), c.source(), c.node(), c.incarnation(), c.cores(),
                            c.memoryBytes())) {
                        context.getLog().info("{} migration {}: target node {} (incarnation {}) claimed again after a"
                                + " recovery", c.vm(), c.migrationId(), c.node(), c.incarnation());
                    }
                    return this;
                })
                .onMessage(ReleaseMigrationTarget.class, r -> {
                    if (placements.releaseTarget(r.vm(), r.migrationId())) {
                        retryWaiting();
                        startQueuedMigrations();
                    }
                    return this;
                })
                .onMessage(PromoteMigrationTarget.class, p -> {
                    placements.promoteTarget(p.vm(), p.migrationId(), p.node(), p.incarnation(), p.cores(),
                            p.memoryBytes());
                    retryWaiting(); // the source's capacity is free again
                    startQueuedMigrations();
                    return this;
                })
                .onMessage(CheckMigrationTarget.class, c -> {
                    String why = placements.whyNotTarget(c.source(), c.node(), c.cores(), c.memoryBytes(),
                            c.nodeSelector(), c.imageFiles() == null ? List.of() : c.imageFiles());
                    c.replyTo().tell(new TargetCheck(why, why != null && why.endsWith(" is unknown")));
                    return this;
                })
                .onMessage(DeleteVmFiles.class, d -> {
                    mailboxes.registered().forEach(node ->
                            mailboxes.deliver(new NodeAgentCommand.DeleteVmFiles(node, d.vm(), d.uid(), d.requestId())));
                    return this;
                })
                .onMessage(GetNodes.class, g -> {
                    g.replyTo().tell(new NodeList(nodes.views(), nodes.consoles()));
                    return this;
                })
                .onMessage(SetCordon.class, c -> {
                    c.replyTo().tell(new NodeAnswer(nodes.cordon(c.node(), c.cordon(), c.requestId(), c.principal())));
                    return this;
                })
                .build();
    }

    private void carryOut(FromNodeLink message) {
        if (message instanceof RegisterNode r) {
            nodes.register(r.registration());
        } else if (message instanceof RenewLease r) {
            nodes.renew(r.renew());
        } else if (message instanceof ReconcileNode r) {
            nodes.reconcile(r.reconcile());
        } else if (message instanceof Report r) {
            toVm.accept(r.report().vm(), new VmCommand.ReportFromNode(r.requestId(), r.report()));
        }
    }

    /** Whether the message comes from the member that proved to be its node (always, when nobody must prove). */
    private boolean admitted(FromNodeLink message) {
        if (identities == null) {
            return true;
        }
        if (message.link() == null) {
            context.getLog().warn("a message for node {} without a link to answer is refused: nodes must prove their"
                    + " names ({})", message.node(), what(message));
            return false;
        }
        String address = identity.addressOf().apply(message.link());
        NodeIdentities.Admission admission = identities.admit(address, message.node(), message, System.nanoTime());
        if (admission instanceof NodeIdentities.Admit) {
            return true;
        }
        if (admission instanceof NodeIdentities.Held held) {
            if (held.nonce() != null && !held.again()) {
                context.getLog().info("node {}: the member at {} is asked to prove that it is node {}", message.node(),
                        address, message.node());
            }
            if (held.nonce() != null) {
                message.link().tell(new NodeIdentity.Challenge(address, held.nonce()));
            }
            return false;
        }
        NodeIdentities.Refuse refused = (NodeIdentities.Refuse) admission;
        if (refused.log()) {
            context.getLog().warn("node {}: refused {} from the member at {}: {} ({} node message(s) refused so far)",
                    message.node(), what(message), address, refused.reason(), refused.count());
            message.link().tell(new NodeIdentity.Refused(message.node(), refused.reason()));
        }
        return false;
    }

    private static String what(FromNodeLink message) {
        if (message instanceof Report r) {
            return "the report " + r.report().describe() + " about " + r.report().vm() + " [request " + r.requestId() + "]";
        }
        return message instanceof RegisterNode ? "the registration" : message instanceof RenewLease
                ? "the lease renewal" : "the question which domains it owns";
    }

    private Behavior<Command> prove(Prove p) {
        NodeIdentity.Proof proof = p.proof();
        if (proof.link() == null) {
            return this;
        }
        String address = identity == null ? null : identity.addressOf().apply(proof.link());
        if (identities == null) {
            proof.link().tell(new NodeIdentity.Accepted(proof.node(), address));
            return this;
        }
        NodeIdentities.Verdict verdict = identities.prove(address, proof.node(), proof.nonce(), proof.mac(),
                System.nanoTime());
        if (verdict instanceof NodeIdentities.Bound bound) {
            context.getLog().info("node {}: the member at {} proved its name{}; {} message(s) it sent meanwhile are"
                            + " taken", proof.node(), address,
                    bound.replaced() == null ? "" : " (it was the member at " + bound.replaced() + ", now gone)",
                    bound.held().size());
            proof.link().tell(new NodeIdentity.Accepted(proof.node(), address));
            for (Command held : bound.held()) {
                FromNodeLink message = (FromNodeLink) held;
                if (admitted(message)) {
                    carryOut(message);
                }
            }
        } else if (verdict instanceof NodeIdentities.NotBound refused && refused.news()) {
            context.getLog().warn("node {}: refused the member at {}: {}; the {} message(s) it sent are dropped"
                    + " ({} node message(s) refused so far)", proof.node(), address, refused.reason(),
                    refused.dropped(), identities.refusals());
            proof.link().tell(new NodeIdentity.Refused(proof.node(), refused.reason()));
        } else if (verdict instanceof NodeIdentities.NotBound refused) {
            proof.link().tell(new NodeIdentity.Refused(proof.node(), refused.reason()));
        } else if (verdict instanceof NodeIdentities.Ignored ignored) {
            context.getLog().info("node {}: a proof from the member at {} is ignored: {}", proof.node(), address,
                    ignored.reason());
        }
        return this;
    }

    private Behavior<Command> place(Place p) {
        Placements.Outcome outcome = placements.place(p.vm(), p.incarnation(), p.cores(), p.memoryBytes(),
                p.nodeSelector(), p.imageFiles(), p.requestId());
        if (outcome instanceof Placements.Placed placed) {
            context.getLog().info("{} placed on node {} (incarnation {}) [request {}]", p.vm(), placed.node(),
                    p.incarnation(), p.requestId());
            answer(p, new VmCommand.PlacementSucceeded(p.requestId(), placed.node(), p.incarnation()));
        } else if (outcome instanceof Placements.Waiting waiting) {
            context.getLog().info("{} unschedulable: {} [request {}]", p.vm(), waiting.reason(), p.requestId());
            answer(p, new VmCommand.PlacementFailed(p.requestId(), p.incarnation(), waiting.reason()));
        }
        return this;
    }

    private void answer(Place p, VmCommand answer) {
        if (p.answerTo() != null) {
            p.answerTo().tell(answer);
        } else {
            toVm.accept(p.vm(), answer);
        }
    }

    private Behavior<Command> reserveTarget(ReserveMigrationTarget r) {
        Placements.TargetRequest request = new Placements.TargetRequest(r.vm(), r.migrationId(), r.source(), r.node(),
                r.incarnation(), r.cores(), r.memoryBytes(), r.nodeSelector(), r.imageFiles(), r.requestId());
        answer(request, placements.reserveTarget(request));
        return this;
    }

    /** Tells the VM where its migration goes, or why it cannot; a queued one is told once it is dequeued. */
    private void answer(Placements.TargetRequest r, Placements.Outcome outcome) {
        if (outcome instanceof Placements.Queued queued) {
            context.getLog().info("{} migration {} queued: {} [request {}]", r.vm(), r.migrationId(), queued.reason(),
                    r.requestId());
        } else if (outcome instanceof Placements.Placed placed) {
            context.getLog().info("{} migration {}: target node {} reserved (incarnation {}) [request {}]", r.vm(),
                    r.migrationId(), placed.node(), r.incarnation(), r.requestId());
            toVm.accept(r.vm(), new VmCommand.MigrationTargetReserved(r.requestId(), r.migrationId(), placed.node(),
                    r.incarnation()));
        } else if (outcome instanceof Placements.Waiting refused) {
            context.getLog().info("{} migration {}: no target: {} [request {}]", r.vm(), r.migrationId(),
                    refused.reason(), r.requestId());
            toVm.accept(r.vm(), new VmCommand.MigrationTargetRefused(r.requestId(), r.migrationId(), refused.reason()));
        }
    }

    /** A migration ended: queued ones may start. */
    private void startQueuedMigrations() {
        placements.dequeue().forEach(d -> answer(d.request(), d.outcome()));
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
}
