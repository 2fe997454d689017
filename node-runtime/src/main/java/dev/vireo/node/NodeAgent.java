package dev.vireo.node;

import static dev.vireo.node.LibvirtPool.rootMessage;

import dev.vireo.node.DomainStep.Again;
import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.HypervisorLink.ConnectFailed;
import dev.vireo.node.HypervisorLink.Connected;
import dev.vireo.node.HypervisorLink.ConnectionLost;
import dev.vireo.node.HypervisorLink.ImagesScanned;
import dev.vireo.node.HypervisorLink.LifecycleEvent;
import dev.vireo.node.HypervisorLink.PingAnswered;
import dev.vireo.node.HypervisorLink.Tick;
import dev.vireo.node.OwnedDomains.Owned;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.node.NodeDelivery;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.BehaviorBuilder;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.libvirt.event.DomainEventType;

/**
 * The node agent: drives one hypervisor's libvirt domains for the VM entities and tells them what
 * happens to their domains. Commands arrive as {@link NodeAgentCommand}, answers leave as
 * {@link NodeReport}s; the agent registers its node (and heartbeats) as {@link NodeRegistration}.
 *
 * <p>libvirt calls block, so they run on a {@link LibvirtPool} of the agent's own; one lane per domain
 * keeps each VM's operations in order. The {@link HypervisorLink} keeps the connection open and the node
 * registered; lifecycle events arrive through it, and only the ones the agent did not cause itself
 * become reports.
 *
 * <p>Its actor takes {@link Message}s. What the control plane sends (deliveries of commands, a refused
 * registration) comes in through message adapters, the addresses its registrations give out; everything else
 * is what the agent's own work comes to. Nothing that runs on other threads (the pool, libvirt's event loop)
 * touches the actor's state: it tells the actor.
 */
public final class NodeAgent {

    /** What the agent's actor handles. */
    public sealed interface Message permits Delivered, Refusal, LeaseSignal, LeaseRegained, StepFinished, StepDue,
            MigrationReported,
            OwnershipChanged, HypervisorLink.Connected, HypervisorLink.ImagesScanned, HypervisorLink.ConnectFailed,
            HypervisorLink.ConnectionLost, HypervisorLink.PingAnswered, HypervisorLink.LifecycleEvent,
            HypervisorLink.Tick, LeaseHold.Retry, LeaseHold.Fenced, LeaseHold.HeldListed,
            LeaseHold.OwnershipAnswered, LeaseHold.ReconcileDone, LeaseHold.FenceUndone {
    }

    /** A command as the control plane delivered it (through the address the registrations give out). */
    record Delivered(NodeDelivery delivery) implements Message {
    }

    /** The control plane refused the node's registration. */
    record Refusal(NodeRegistration.Refused refused) implements Message {
    }

    /** A report a migration under way makes while it runs (its progress), from the thread that watches it. */
    record MigrationReported(NodeReport report) implements Message {
    }

    /** A step on the pool changed what the agent owns or expects: applied here, in the order the step said it. */
    record OwnershipChanged(Consumer<OwnedDomains> change) implements Message {
    }

    private static final int STASH_CAPACITY = 1000;
    private static final Duration REFUSAL_LOG_EVERY = Duration.ofMinutes(1);

    /** From the {@link LeaseKeeper}: pause every running domain and hold commands; or register again now. */
    public enum LeaseSignal implements Message { FENCE, REGISTER_NOW }

    /** From the {@link LeaseKeeper}: the lease is granted (again); {@code lost}: the node was declared lost meanwhile. */
    public record LeaseRegained(boolean lost) implements Message {
    }

    /**
     * How a node runtime's agent reaches the control plane: reports, registrations and ownership questions go
     * up; {@code console} is where the control plane reads this node's consoles; {@code session} names this
     * run of the node runtime.
     */
    public record Uplink(ActorRef<NodeReport> reports, ActorRef<NodeRegistration> registrations,
                         ActorRef<NodeLease.Reconcile> reconciles, ActorRef<NodeConsole.Read> console,
                         String session) {
    }

    /** A command (or the agent's own follow-up) on one domain, at whichever step it has reached. */
    private record Job(String domainName, NodeAction action, VmId vm, long incarnation, String requestId,
                       DomainStep step) {
        Job next(DomainStep nextStep) {
            return new Job(domainName, action, vm, incarnation, requestId, nextStep);
        }
    }

    private record StepFinished(Job job, DomainStep.Outcome outcome, Throwable failure) implements Message {
    }

    private record StepDue(Job job) implements Message {
    }

    private final NodeAgentSettings settings;
    private final ActorRef<NodeReport> reports;
    private final ActorContext<Message> context;
    private final TimerScheduler<Message> timers;
    private final StashBuffer<Message> stash;
    private final LibvirtPool pool;
    private final OwnedDomains owned = new OwnedDomains();
    private final DomainOperations operations;
    private final LiveMigrations migrations;
    private final DomainLanes<Job> lanes = new DomainLanes<>();
    private final LifecycleReports lifecycle;
    private final HypervisorLink link;
    private final LeaseHold hold;
    private Instant lastRefusalLogged;
    /** Steps that came due while the connection was down: they run once it is back. */
    private final List<StepDue> deferredSteps = new java.util.ArrayList<>();
    /** Whether this run settled the snapshots an earlier run left under way (once, when first reconciled). */
    private boolean snapshotsRecovered;

    /** An agent without a lease (it shares its JVM with the control plane, or is tested on its own). */
    public static Behavior<Message> create(NodeAgentSettings settings, ActorRef<NodeReport> reports,
                                          ActorRef<NodeRegistration> registrations) {
        return create(settings, new Uplink(reports, registrations, null, null, null), Lease.unlimited(), null);
    }

    /**
     * @param lease the node's lease ({@link Lease#required} for a node runtime of its own, renewed by a
     *              {@link LeaseKeeper})
     * @param files the node's lease and fencing files shared with its watchdog; null when it has none
     */
    public static Behavior<Message> create(NodeAgentSettings settings, Uplink uplink, Lease lease, NodeFiles files) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY,
                stash -> new NodeAgent(settings, uplink, lease, files, context, timers, stash).connecting())));
    }

    private NodeAgent(NodeAgentSettings settings, Uplink uplink, Lease lease, NodeFiles files,
                      ActorContext<Message> context, TimerScheduler<Message> timers, StashBuffer<Message> stash) {
        this.settings = settings;
        this.reports = uplink.reports();
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        OwnedDomains.Changes changes = new ToActor(context.getSelf());
        ImageFiles images = new ImageFiles(settings.imagesDirectory());
        ActorRef<Message> self = context.getSelf();
        this.migrations = new LiveMigrations(settings.nodeName(), settings.dataDirectory(), images, changes,
                settings.migrationAddress(), settings.advertisedUri(), report -> self.tell(new MigrationReported(report)));
        this.operations = new DomainOperations(settings.nodeName(), changes, settings.dataDirectory(), lease, images,
                migrations, SnapshotFetch.over(context.getSystem()));
        context.spawn(SnapshotFileServer.create(settings.nodeName(), settings.dataDirectory()), "snapshot-files");
        this.lifecycle = new LifecycleReports(settings.nodeName(), context.getLog());
        this.pool = new LibvirtPool(settings.nodeName());
        this.link = new HypervisorLink(settings, uplink, context.messageAdapter(NodeDelivery.class, Delivered::new),
                context.messageAdapter(NodeRegistration.Refused.class, Refusal::new), context, timers, pool);
        this.hold = new LeaseHold(settings.nodeName(), lease, new Fencing(settings.nodeName(), changes, files), uplink,
                context, timers, pool, link);
        link.connect();
    }

    // ---- connecting: commands wait in the stash until the hypervisor is open and reconciled ----

    /**
     * Before the first connection and after a lost one. Work that was under way when the connection
     * broke finishes here (failing, mostly) and what comes after it in its lane waits for the new
     * connection; the node registers as not ready until then.
     */
    private Behavior<Message> connecting() {
        return always(Behaviors.receive(Message.class)
                .onMessage(Connected.class, this::onConnected)
                .onMessage(ConnectFailed.class, failed -> {
                    link.retryLater(failed);
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.CONNECT, () -> {
                    link.connect();
                    return Behaviors.same();
                })
                .onMessage(Delivered.class, delivered -> stashDelivery(delivered.delivery()))
                .onMessage(OwnershipChanged.class, this::onOwnershipChanged)
                .onMessage(StepFinished.class, finished -> {
                    finishStep(finished).ifPresent(next -> deferredSteps.add(new StepDue(next)));
                    return Behaviors.same();
                })
                .onMessage(StepDue.class, due -> {
                    deferredSteps.add(due);
                    return Behaviors.same();
                })
                // What happened meanwhile is read from libvirt by the reconcile after reconnecting.
                .onMessage(LifecycleEvent.class, event -> Behaviors.same())
                .onMessage(ConnectionLost.class, lost -> Behaviors.same())
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    hold.fence(); // nothing to pause without a connection: fenced on connect, by the watchdog until then
                    return Behaviors.same();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    hold.regained();
                    return Behaviors.same();
                }))
                .build();
    }

    /**
     * Reports each Vireo domain the new connection has, then handles the commands that waited; under a lease
     * that is not reconciled yet, the domains are first reconciled with the control plane ({@link #holding}).
     */
    private Behavior<Message> onConnected(Connected connected) {
        deferredSteps.forEach(context.getSelf()::tell);
        deferredSteps.clear();
        boolean holding = hold.mustHold();
        link.opened(connected, d -> {
            owned.put(d.name(), new Owned(d.meta(), d.uuid()));
            if (!holding) {
                reportFound(d);
            }
        });
        if (!holding) {
            recoverInterruptedSnapshots();
            return stash.unstashAll(running());
        }
        hold.connected();
        return holding();
    }

    /**
     * Once per run, when the node is reconciled and registered (its reports count): the snapshots a previous run
     * of this node runtime left under way are settled in their domains' lanes, before any new command on them.
     */
    private void recoverInterruptedSnapshots() {
        if (snapshotsRecovered) {
            return;
        }
        snapshotsRecovered = true;
        for (SnapshotOperations.Interrupted i : operations.interruptedSnapshots()) {
            context.getLog().warn("node {}: snapshot {} of {} (request {}) was under way when this node runtime last"
                    + " stopped; settling it", settings.nodeName(), i.snapshot(), i.vm(), i.requestId());
            enqueue(new Job(i.vm().domainName(), NodeAction.TakeSnapshot, i.vm(), i.incarnation(), i.requestId(),
                    operations.recoverSnapshot(i)));
        }
    }

    private void reportFound(Hypervisor.VireoDomain d) {
        VireoMetadata meta = d.meta();
        if (d.state() == DomainState.Paused) {
            lifecycle.foundPaused(d.name());
        }
        publish(new NodeReport.DomainFound(meta.vm(), settings.nodeName(), meta.incarnation(), meta.uid(),
                d.state()), "reconcile", null);
    }

    // ---- holding: connected, but without a reconciled lease; commands wait ----

    /**
     * Connected, but not (yet, or no longer) under a lease the domains are reconciled with: commands wait in
     * the stash; work already under way and what libvirt reports go on.
     */
    private Behavior<Message> holding() {
        return always(Behaviors.receive(Message.class)
                .onMessage(Delivered.class, delivered -> stashDelivery(delivered.delivery()))
                .onMessage(OwnershipChanged.class, this::onOwnershipChanged)
                .onMessage(StepFinished.class, this::onStepFinished)
                .onMessage(StepDue.class, due -> {
                    runStep(due.job());
                    return Behaviors.same();
                })
                .onMessage(LifecycleEvent.class, this::onLifecycleEvent)
                .onMessage(ConnectionLost.class, lost -> {
                    if (link.lost(lost)) {
                        hold.connectionLost();
                        return connecting();
                    }
                    return Behaviors.same();
                })
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    hold.fence();
                    return Behaviors.same();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    hold.regained();
                    return Behaviors.same();
                })
                .onMessageEquals(LeaseHold.Retry.RECONCILE, () -> {
                    hold.reconcileIfDue();
                    return Behaviors.same();
                })
                .onMessage(LeaseHold.Fenced.class, fenced -> {
                    hold.onFenced(fenced);
                    return Behaviors.same();
                })
                .onMessage(LeaseHold.HeldListed.class, listed -> {
                    hold.onHeldListed(listed);
                    return Behaviors.same();
                })
                .onMessage(LeaseHold.OwnershipAnswered.class, answered -> {
                    hold.onOwnership(answered);
                    return Behaviors.same();
                })
                .onMessage(LeaseHold.ReconcileDone.class, done -> {
                    if (!hold.onReconcileDone(done, report -> publish(report, "reconcile after lease", null),
                            this::reportFound)) {
                        return Behaviors.same();
                    }
                    recoverInterruptedSnapshots();
                    return stash.unstashAll(running());
                })
                .onMessage(LeaseHold.FenceUndone.class, undone -> {
                    hold.onFenceUndone(undone);
                    return Behaviors.same();
                }))
                .build();
    }

    /** What the agent does the same way whatever its state: heartbeats, pings, images, registration, shutdown. */
    private BehaviorBuilder<Message> always(BehaviorBuilder<Message> state) {
        return state
                .onMessage(MigrationReported.class, reported -> {
                    publish(reported.report(), "migration", null);
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.HEARTBEAT, () -> {
                    link.heartbeat(); // registers not ready while there is no connection
                    return Behaviors.same();
                })
                .onMessage(PingAnswered.class, answered -> {
                    link.pingAnswered();
                    return Behaviors.same();
                })
                .onMessage(ImagesScanned.class, this::onImagesScanned)
                .onMessageEquals(Tick.SCAN_IMAGES, () -> {
                    link.scanImages();
                    return Behaviors.same();
                })
                .onMessageEquals(LeaseSignal.REGISTER_NOW, () -> {
                    link.registerNow();
                    return Behaviors.same();
                })
                .onMessage(Refusal.class, refusal -> onRefused(refusal.refused()))
                .onSignal(PostStop.class, signal -> shutdown());
    }

    private Behavior<Message> onRefused(NodeRegistration.Refused refused) {
        Instant now = Instant.now();
        if (lastRefusalLogged == null || now.isAfter(lastRefusalLogged.plus(REFUSAL_LOG_EVERY))) {
            lastRefusalLogged = now;
            context.getLog().error("node {}: the control plane refused this node runtime: {}; {}", refused.node(),
                    refused.reason(), refused.retry() ? "it asks again with every heartbeat"
                            : "it asks again with every heartbeat, but is not let in while the other one runs");
        }
        return Behaviors.same();
    }

    private Behavior<Message> onImagesScanned(ImagesScanned scanned) {
        link.imagesScanned(scanned);
        return Behaviors.same();
    }

    private Behavior<Message> stashDelivery(NodeDelivery delivery) {
        if (stash.isFull()) {
            NodeAgentCommand command = delivery.command();
            reports.tell(new NodeReport.ActionFailed(command.vm(), settings.nodeName(),
                    DomainOperations.incarnationOf(command), command.action(),
                    "node agent " + settings.nodeName() + " is not ready to run domains yet (not connected to "
                            + settings.hypervisorUri() + ", or its lease is not settled) and has " + STASH_CAPACITY
                            + " commands waiting; retry later"));
        } else {
            stash.stash(new Delivered(delivery));
        }
        return Behaviors.same();
    }

    private Behavior<Message> onOwnershipChanged(OwnershipChanged changed) {
        changed.change().accept(owned);
        return Behaviors.same();
    }

    // ---- running ----

    private Behavior<Message> running() {
        return always(Behaviors.receive(Message.class)
                .onMessage(OwnershipChanged.class, this::onOwnershipChanged)
                .onMessage(Delivered.class, delivered -> {
                    NodeDelivery delivery = delivered.delivery();
                    if (delivery.sequence() < hold.voidBefore()) {
                        context.getLog().warn("{} for {} (request {}) dropped: it was sent before node {} was declared"
                                        + " lost, for a placement that has ended", delivery.command().action(),
                                        delivery.command().vm(), delivery.command().requestId(),
                                settings.nodeName());
                        return Behaviors.same();
                    }
                    return onCommand(delivery.command());
                })
                .onMessage(StepFinished.class, this::onStepFinished)
                .onMessage(StepDue.class, due -> {
                    runStep(due.job());
                    return Behaviors.same();
                })
                .onMessage(LifecycleEvent.class, this::onLifecycleEvent)
                .onMessage(ConnectionLost.class, lost -> link.lost(lost) ? connecting() : Behaviors.same())
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    hold.fence();
                    return holding();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    // a grant after a revocation the agent never saw as an expiry: reconcile first all the same
                    hold.regained();
                    return holding();
                })
                .onMessage(LeaseHold.Fenced.class, fenced -> {
                    hold.onFenced(fenced);
                    return Behaviors.same();
                })
                .onMessage(LeaseHold.FenceUndone.class, undone -> {
                    hold.onFenceUndone(undone);
                    return Behaviors.same();
                }))
                .build();
    }

    private Behavior<Message> onCommand(NodeAgentCommand command) {
        if (!settings.nodeName().equals(command.node())) {
            context.getLog().warn("{} for {} (request {}) addressed to node {} arrived at node {}; running it here",
                    command.action(), command.vm(), command.requestId(), command.node(),
                    settings.nodeName());
        }
        if (command instanceof NodeAgentCommand.CancelMigration cancel) {
            // not behind the migration in the domain's lane: it has to reach the migration while that runs
            pool.execute(() -> migrations.cancel(cancel));
            return Behaviors.same();
        }
        Job job = new Job(command.vm().domainName(), command.action(), command.vm(),
                DomainOperations.incarnationOf(command), command.requestId(), operations.stepFor(command));
        enqueue(job);
        return Behaviors.same();
    }

    private void enqueue(Job job) {
        if (lanes.enqueue(job.domainName(), job)) {
            runStep(job);
        } else {
            context.getLog().debug("{} for {} (request {}) waits behind {} job(s) on its domain", job.action(),
                    job.vm(), job.requestId(), lanes.pending(job.domainName()) - 1);
        }
    }

    private void runStep(Job job) {
        Hypervisor hv = link.hypervisor(); // read here, on the actor: it changes when the connection is lost
        context.pipeToSelf(pool.call(() -> job.step().run(hv)),
                (outcome, failure) -> new StepFinished(job, outcome, failure));
    }

    private Behavior<Message> onStepFinished(StepFinished finished) {
        finishStep(finished).ifPresent(this::runStep);
        if (finished.failure() != null) {
            link.ping(); // a failed call may be the first sign of a daemon that went away
        }
        return Behaviors.same();
    }

    /** Reports what a step came to; returns the lane's next job when this one is over. */
    private Optional<Job> finishStep(StepFinished finished) {
        Job job = finished.job();
        if (finished.failure() != null) {
            publish(new NodeReport.ActionFailed(job.vm(), settings.nodeName(), job.incarnation(), job.action(),
                    rootMessage(finished.failure())), job.action().name(), job.requestId());
        } else if (finished.outcome() instanceof Again again) {
            timers.startSingleTimer("step-" + job.domainName(), new StepDue(job.next(again.next())), again.delay());
            return Optional.empty();
        } else if (finished.outcome() instanceof Done done) {
            done.reports().forEach(report -> publish(report, job.action().name(), job.requestId()));
        }
        return lanes.finish(job.domainName());
    }

    // ---- lifecycle events the agent did not cause ----

    private Behavior<Message> onLifecycleEvent(LifecycleEvent event) {
        // consumed first: the event a call of the agent caused may arrive after the domain was undefined
        boolean caused = owned.consume(event.uuid(), event.type());
        Owned domain = owned.find(event.domainName(), event.uuid()).orElse(null);
        if (domain == null) {
            return Behaviors.same(); // not Vireo's, or a late event of a domain already undefined
        }
        if (caused) {
            context.getLog().debug("{} {} of {} was caused by the agent", event.type(), event.detail(), event.domainName());
            return Behaviors.same();
        }
        if (hold.suspendedByFence(event)) {
            return Behaviors.same();
        }
        String cause = "libvirt event " + event.type() + "/" + event.detail();
        LifecycleReports.Meaning meaning = lifecycle.of(event, domain.meta(), cause);
        meaning.reports().forEach(report -> publish(report, cause, null));
        if (meaning.undefine()) {
            enqueue(new Job(event.domainName(), NodeAction.UndefineAfterShutdown, domain.meta().vm(),
                    domain.meta().incarnation(), null, operations.undefineIfStillOff(event.domainName(), event.uuid())));
        }
        return Behaviors.same();
    }

    private void publish(NodeReport report, String cause, String requestId) {
        lifecycle.reported(report);
        context.getLog().info("{} incarnation {} (request {}, {}): {}", report.vm(), report.incarnation(),
                requestId == null ? "-" : requestId, cause, report);
        reports.tell(report);
    }

    private Behavior<Message> shutdown() {
        link.close();
        pool.shutdown();
        return Behaviors.same();
    }

    /**
     * How the steps on the pool change what the agent owns: by telling the actor. A step records an expectation
     * before the libvirt call that causes the event, so the change is in the mailbox before the event is.
     */
    private record ToActor(ActorRef<Message> self) implements OwnedDomains.Changes {
        @Override
        public void put(String domainName, Owned owned) {
            self.tell(new OwnershipChanged(o -> o.put(domainName, owned)));
        }

        @Override
        public void remove(String domainName) {
            self.tell(new OwnershipChanged(o -> o.remove(domainName)));
        }

        @Override
        public void expect(String uuid, DomainEventType type) {
            self.tell(new OwnershipChanged(o -> o.expect(uuid, type)));
        }

        @Override
        public void unexpect(String uuid, DomainEventType type) {
            self.tell(new OwnershipChanged(o -> o.unexpect(uuid, type)));
        }

        @Override
        public void clearExpectations(String uuid) {
            self.tell(new OwnershipChanged(o -> o.clearExpectations(uuid)));
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> arrived(String uuid, DomainEventType type) {
            java.util.concurrent.CompletableFuture<Void> arrived = new java.util.concurrent.CompletableFuture<>();
            self.tell(new OwnershipChanged(o -> o.whenArrived(uuid, type, () -> arrived.complete(null))));
            return arrived;
        }
    }
}
