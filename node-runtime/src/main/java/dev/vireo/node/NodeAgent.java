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
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * The node agent: drives one hypervisor's libvirt domains for the VM entities and tells them what
 * happens to their domains. Commands arrive as {@link NodeAgentCommand}, answers leave as
 * {@link NodeReport}s; the agent registers its node (and heartbeats) as {@link NodeRegistration}.
 *
 * <p>libvirt calls block, so they run on a {@link LibvirtPool} of the agent's own; one lane per domain
 * keeps each VM's operations in order. The {@link HypervisorLink} keeps the connection open and the node
 * registered; lifecycle events arrive through it, and only the ones the agent did not cause itself
 * become reports.
 */
public final class NodeAgent {

    private static final int STASH_CAPACITY = 1000;
    private static final Duration RECONCILE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration RECONCILE_RETRY = Duration.ofSeconds(2);
    private static final Duration REFUSAL_LOG_EVERY = Duration.ofMinutes(1);

    /** From the {@link LeaseKeeper}: pause every running domain and hold commands; or register again now. */
    public enum LeaseSignal { FENCE, REGISTER_NOW }

    /** From the {@link LeaseKeeper}: the lease is granted (again); {@code lost}: the node was declared lost meanwhile. */
    public record LeaseRegained(boolean lost) {
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

    private enum Reconcile { RETRY }

    private record Fenced(List<String> domains, Throwable failure) {
    }

    private record HeldListed(List<NodeLease.Held> held, Throwable failure) {
    }

    private record OwnershipAnswered(NodeLease.Ownership ownership, Throwable failure) {
    }

    private record ReconcileDone(Fencing.Reconciled result, Throwable failure) {
    }

    private record FenceUndone(String domainName, Boolean resumed, Throwable failure) {
    }

    /** A command (or the agent's own follow-up) on one domain, at whichever step it has reached. */
    private record Job(String domainName, String action, VmId vm, long incarnation, String requestId,
                       DomainStep step) {
        Job next(DomainStep nextStep) {
            return new Job(domainName, action, vm, incarnation, requestId, nextStep);
        }
    }

    private record StepFinished(Job job, DomainStep.Outcome outcome, Throwable failure) {
    }

    private record StepDue(Job job) {
    }

    private final NodeAgentSettings settings;
    private final ActorRef<NodeReport> reports;
    private final ActorContext<Object> context;
    private final TimerScheduler<Object> timers;
    private final StashBuffer<Object> stash;
    private final LibvirtPool pool;
    private final OwnedDomains owned = new OwnedDomains();
    private final DomainOperations operations;
    private final DomainLanes<Job> lanes = new DomainLanes<>();
    private final LifecycleReports lifecycle;
    private final HypervisorLink link;
    private final Lease lease;
    private final Fencing fencing;
    private final Uplink uplink;
    /** A grant came that the domains have not been reconciled with yet. */
    private boolean regainPending;
    /** The node was declared lost since the last reconcile: what waits in the stash is void. */
    private boolean lostPending;
    private boolean reconciling;
    /** Reconciled with the control plane since the last fence (always true without a lease). */
    private boolean reconciled;
    private Instant lastRefusalLogged;
    /** Steps that came due while the connection was down: they run once it is back. */
    private final List<StepDue> deferredSteps = new java.util.ArrayList<>();

    /** An agent without a lease (it shares its JVM with the control plane, or is tested on its own). */
    public static Behavior<Object> create(NodeAgentSettings settings, ActorRef<NodeReport> reports,
                                          ActorRef<NodeRegistration> registrations) {
        return create(settings, new Uplink(reports, registrations, null, null, null), Lease.unlimited(), null);
    }

    /**
     * @param lease the node's lease ({@link Lease#required} for a node runtime of its own, renewed by a
     *              {@link LeaseKeeper})
     * @param files the node's lease and fencing files shared with its watchdog; null when it has none
     */
    public static Behavior<Object> create(NodeAgentSettings settings, Uplink uplink, Lease lease, NodeFiles files) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY,
                stash -> new NodeAgent(settings, uplink, lease, files, context, timers, stash).connecting())));
    }

    private NodeAgent(NodeAgentSettings settings, Uplink uplink, Lease lease, NodeFiles files,
                      ActorContext<Object> context, TimerScheduler<Object> timers, StashBuffer<Object> stash) {
        this.settings = settings;
        this.reports = uplink.reports();
        this.uplink = uplink;
        this.lease = lease;
        this.reconciled = !lease.isRequired();
        // an agent started again (after a failure) under a lease that is still valid reconciles first
        this.regainPending = lease.isRequired() && lease.valid();
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        this.operations = new DomainOperations(settings.nodeName(), owned, settings.dataDirectory(), lease,
                new ImageFiles(settings.imagesDirectory()));
        this.fencing = new Fencing(settings.nodeName(), owned, files);
        this.lifecycle = new LifecycleReports(settings.nodeName(), context.getLog());
        this.pool = new LibvirtPool(settings.nodeName());
        this.link = new HypervisorLink(settings, uplink, context, timers, pool, owned);
        link.connect();
    }

    // ---- connecting: commands wait in the stash until the hypervisor is open and reconciled ----

    /**
     * Before the first connection and after a lost one. Work that was under way when the connection
     * broke finishes here (failing, mostly) and what comes after it in its lane waits for the new
     * connection; the node registers as not ready until then.
     */
    private Behavior<Object> connecting() {
        return Behaviors.receive(Object.class)
                .onMessage(Connected.class, this::onConnected)
                .onMessage(ConnectFailed.class, failed -> {
                    link.retryLater(failed);
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.CONNECT, () -> {
                    link.connect();
                    return Behaviors.same();
                })
                .onMessage(NodeAgentCommand.class, this::stashCommand)
                .onMessage(StepFinished.class, finished -> {
                    finishStep(finished).ifPresent(next -> deferredSteps.add(new StepDue(next)));
                    return Behaviors.same();
                })
                .onMessage(StepDue.class, due -> {
                    deferredSteps.add(due);
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.HEARTBEAT, () -> {
                    link.heartbeat(); // still not ready
                    return Behaviors.same();
                })
                // What happened meanwhile is read from libvirt by the reconcile after reconnecting.
                .onMessage(LifecycleEvent.class, event -> Behaviors.same())
                .onMessage(ConnectionLost.class, lost -> Behaviors.same())
                .onMessage(PingAnswered.class, answered -> {
                    link.pingAnswered();
                    return Behaviors.same();
                })
                .onMessage(ImagesScanned.class, this::onImagesScanned)
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    reconciled = false; // fenced on connect, by the watchdog until then
                    return Behaviors.same();
                })
                .onMessageEquals(LeaseSignal.REGISTER_NOW, () -> {
                    link.registerNow();
                    return Behaviors.same();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    regainPending = true;
                    lostPending |= regained.lost();
                    return Behaviors.same();
                })
                .onMessage(NodeRegistration.Refused.class, this::onRefused)
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    /**
     * Reports each Vireo domain the new connection has, then handles the commands that waited; under a lease
     * that is not reconciled yet, the domains are first reconciled with the control plane ({@link #holding}).
     */
    private Behavior<Object> onConnected(Connected connected) {
        deferredSteps.forEach(context.getSelf()::tell);
        deferredSteps.clear();
        boolean holding = !reconciled || regainPending || !lease.valid();
        link.opened(connected, d -> {
            if (!holding) {
                reportFound(d);
            }
        });
        if (!holding) {
            return stash.unstashAll(running());
        }
        if (lease.expiresAtMillis() > 0 && !lease.valid()) {
            fence(); // the lease ran out while the connection was down
        }
        maybeReconcile();
        return holding();
    }

    private void reportFound(Hypervisor.VireoDomain d) {
        VireoMetadata meta = d.meta();
        if (d.state() == DomainState.Paused) {
            lifecycle.foundPaused(d.name());
        }
        publish(new NodeReport.DomainFound(meta.vm(), settings.nodeName(), meta.incarnation(), meta.uid(),
                d.state().name()), "reconcile", null);
    }

    // ---- holding: connected, but without a reconciled lease; commands wait ----

    /**
     * Connected, but not (yet, or no longer) under a lease the domains are reconciled with: commands wait in
     * the stash; work already under way and what libvirt reports go on.
     */
    private Behavior<Object> holding() {
        return Behaviors.receive(Object.class)
                .onMessage(NodeAgentCommand.class, this::stashCommand)
                .onMessage(StepFinished.class, this::onStepFinished)
                .onMessage(StepDue.class, due -> {
                    runStep(due.job());
                    return Behaviors.same();
                })
                .onMessage(LifecycleEvent.class, this::onLifecycleEvent)
                .onMessageEquals(Tick.HEARTBEAT, () -> {
                    link.heartbeat();
                    return Behaviors.same();
                })
                .onMessage(ConnectionLost.class, lost -> {
                    if (link.lost(lost)) {
                        reconciling = false; // its answer, if any, is dropped in connecting
                        return connecting();
                    }
                    return Behaviors.same();
                })
                .onMessage(PingAnswered.class, answered -> {
                    link.pingAnswered();
                    return Behaviors.same();
                })
                .onMessage(ImagesScanned.class, this::onImagesScanned)
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    fence();
                    return Behaviors.same();
                })
                .onMessageEquals(LeaseSignal.REGISTER_NOW, () -> {
                    link.registerNow();
                    return Behaviors.same();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    regainPending = true;
                    lostPending |= regained.lost();
                    maybeReconcile();
                    return Behaviors.same();
                })
                .onMessageEquals(Reconcile.RETRY, () -> {
                    maybeReconcile();
                    return Behaviors.same();
                })
                .onMessage(Fenced.class, this::onFenced)
                .onMessage(HeldListed.class, this::onHeldListed)
                .onMessage(OwnershipAnswered.class, this::onOwnership)
                .onMessage(ReconcileDone.class, this::onReconcileDone)
                .onMessage(FenceUndone.class, this::onFenceUndone)
                .onMessage(NodeRegistration.Refused.class, this::onRefused)
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    /** Pauses every running domain (the lease has expired); commands wait until the lease is back. */
    private void fence() {
        reconciled = false;
        Hypervisor hv = link.hypervisor();
        if (hv == null) {
            return;
        }
        context.pipeToSelf(pool.call(() -> fencing.fenceAll(hv)), Fenced::new);
    }

    private Behavior<Object> onFenced(Fenced fenced) {
        if (fenced.failure() != null) {
            context.getLog().error("node {}: fencing failed: {} (the watchdog fences what runs)", settings.nodeName(),
                    rootMessage(fenced.failure()));
        } else if (!fenced.domains().isEmpty()) {
            context.getLog().warn("node {}: lease expired: paused {} domain(s) {}", settings.nodeName(),
                    fenced.domains().size(), fenced.domains());
        }
        return Behaviors.same();
    }

    /** Starts a reconcile when a grant waits for one, the lease is valid and the hypervisor is connected. */
    private void maybeReconcile() {
        Hypervisor hv = link.hypervisor();
        if (!regainPending || reconciling || hv == null || !lease.valid() || uplink.reconciles() == null) {
            return;
        }
        regainPending = false;
        reconciling = true;
        context.pipeToSelf(pool.call(() -> fencing.held(hv)), HeldListed::new);
    }

    private Behavior<Object> onHeldListed(HeldListed listed) {
        if (listed.failure() != null) {
            return reconcileFailed("cannot list its domains: " + rootMessage(listed.failure()));
        }
        context.getLog().info("node {}: asking the control plane which of its {} domain(s) are still its own",
                settings.nodeName(), listed.held().size());
        context.ask(NodeLease.Ownership.class, uplink.reconciles(), RECONCILE_TIMEOUT,
                replyTo -> new NodeLease.Reconcile(settings.nodeName(), uplink.session(), listed.held(), replyTo),
                OwnershipAnswered::new);
        return Behaviors.same();
    }

    private Behavior<Object> onOwnership(OwnershipAnswered answered) {
        if (answered.failure() != null || answered.ownership().refused()) {
            return reconcileFailed(answered.failure() != null ? "no answer: " + rootMessage(answered.failure())
                    : answered.ownership().reason());
        }
        Hypervisor hv = link.hypervisor();
        if (hv == null || !lease.valid()) {
            return reconcileFailed(hv == null ? "the hypervisor connection is gone" : "the lease expired meanwhile");
        }
        NodeLease.Ownership ownership = answered.ownership();
        lostPending |= ownership.lost();
        context.pipeToSelf(pool.call(() -> fencing.reconcile(hv, ownership)), ReconcileDone::new);
        return Behaviors.same();
    }

    private Behavior<Object> reconcileFailed(String why) {
        reconciling = false;
        regainPending = true;
        context.getLog().warn("node {}: reconcile with the control plane failed ({}); trying again in {}",
                settings.nodeName(), why, RECONCILE_RETRY);
        timers.startSingleTimer(Reconcile.RETRY, RECONCILE_RETRY);
        return Behaviors.same();
    }

    private Behavior<Object> onReconcileDone(ReconcileDone done) {
        if (done.failure() != null) {
            return reconcileFailed(rootMessage(done.failure()));
        }
        reconciling = false;
        Fencing.Reconciled result = done.result();
        result.reports().forEach(report -> publish(report, "reconcile after lease", null));
        result.kept().forEach(this::reportFound);
        context.getLog().info("node {}: reconciled: {} domain(s) kept, {} destroyed (no longer its own), {} resumed",
                settings.nodeName(), result.kept().size(), result.destroyed(), result.resumed());
        if (lostPending) {
            lostPending = false;
            int dropped = stash.size(); // commands only: steps never wait in the stash
            stash.clear();
            if (dropped > 0) {
                context.getLog().warn("node {}: dropped {} command(s) that waited from before the node was declared"
                        + " lost: their placements have ended", settings.nodeName(), dropped);
            }
        }
        if (regainPending || !lease.valid()) {
            maybeReconcile();
            return Behaviors.same();
        }
        reconciled = true;
        return stash.unstashAll(running());
    }

    private Behavior<Object> onFenceUndone(FenceUndone undone) {
        if (undone.failure() != null) {
            context.getLog().error("node {}: could not resume {} after a late fence: {}", settings.nodeName(),
                    undone.domainName(), rootMessage(undone.failure()));
        } else if (Boolean.TRUE.equals(undone.resumed())) {
            context.getLog().info("node {}: resumed {}: the watchdog paused it after the lease was renewed",
                    settings.nodeName(), undone.domainName());
        }
        return Behaviors.same();
    }

    private Behavior<Object> onRefused(NodeRegistration.Refused refused) {
        Instant now = Instant.now();
        if (lastRefusalLogged == null || now.isAfter(lastRefusalLogged.plus(REFUSAL_LOG_EVERY))) {
            lastRefusalLogged = now;
            context.getLog().error("node {}: the control plane refused this node runtime: {}; {}", refused.node(),
                    refused.reason(), refused.retry() ? "it asks again with every heartbeat"
                            : "it asks again with every heartbeat, but is not let in while the other one runs");
        }
        return Behaviors.same();
    }

    private Behavior<Object> onImagesScanned(ImagesScanned scanned) {
        link.imagesScanned(scanned);
        return Behaviors.same();
    }

    private Behavior<Object> stashCommand(NodeAgentCommand command) {
        if (stash.isFull()) {
            reports.tell(new NodeReport.ActionFailed(command.vm(), settings.nodeName(),
                    DomainOperations.incarnationOf(command), DomainOperations.actionName(command),
                    "node agent " + settings.nodeName() + " is not ready to run domains yet (not connected to "
                            + settings.hypervisorUri() + ", or its lease is not settled) and has " + STASH_CAPACITY
                            + " commands waiting; retry later"));
        } else {
            stash.stash(command);
        }
        return Behaviors.same();
    }

    // ---- running ----

    private Behavior<Object> running() {
        return Behaviors.receive(Object.class)
                .onMessage(NodeAgentCommand.class, this::onCommand)
                .onMessage(StepFinished.class, this::onStepFinished)
                .onMessage(StepDue.class, due -> {
                    runStep(due.job());
                    return Behaviors.same();
                })
                .onMessage(LifecycleEvent.class, this::onLifecycleEvent)
                .onMessageEquals(Tick.HEARTBEAT, () -> {
                    link.heartbeat();
                    return Behaviors.same();
                })
                .onMessage(ConnectionLost.class, lost -> link.lost(lost) ? connecting() : Behaviors.same())
                .onMessage(PingAnswered.class, answered -> {
                    link.pingAnswered();
                    return Behaviors.same();
                })
                .onMessage(ImagesScanned.class, this::onImagesScanned)
                .onMessageEquals(LeaseSignal.FENCE, () -> {
                    fence();
                    return holding();
                })
                .onMessageEquals(LeaseSignal.REGISTER_NOW, () -> {
                    link.registerNow();
                    return Behaviors.same();
                })
                .onMessage(LeaseRegained.class, regained -> {
                    // a grant after a revocation the agent never saw as an expiry: reconcile first all the same
                    regainPending = true;
                    lostPending |= regained.lost();
                    reconciled = false;
                    maybeReconcile();
                    return holding();
                })
                .onMessage(Fenced.class, this::onFenced)
                .onMessage(FenceUndone.class, this::onFenceUndone)
                .onMessage(NodeRegistration.Refused.class, this::onRefused)
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    private Behavior<Object> onCommand(NodeAgentCommand command) {
        if (!settings.nodeName().equals(command.node())) {
            context.getLog().warn("{} for {} (request {}) addressed to node {} arrived at node {}; running it here",
                    DomainOperations.actionName(command), command.vm(), command.requestId(), command.node(),
                    settings.nodeName());
        }
        Job job = new Job(command.vm().domainName(), DomainOperations.actionName(command), command.vm(),
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

    private Behavior<Object> onStepFinished(StepFinished finished) {
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
                    rootMessage(finished.failure())), job.action(), job.requestId());
        } else if (finished.outcome() instanceof Again again) {
            timers.startSingleTimer("step-" + job.domainName(), new StepDue(job.next(again.next())), again.delay());
            return Optional.empty();
        } else if (finished.outcome() instanceof Done done) {
            done.reports().forEach(report -> publish(report, job.action(), job.requestId()));
        }
        return lanes.finish(job.domainName());
    }

    // ---- lifecycle events the agent did not cause ----

    private Behavior<Object> onLifecycleEvent(LifecycleEvent event) {
        Owned domain = owned.find(event.domainName(), event.uuid()).orElse(null);
        if (domain == null) {
            return Behaviors.same(); // not Vireo's, or a late event of a domain already undefined
        }
        if (owned.consume(event.uuid(), event.type())) {
            context.getLog().debug("{} {} of {} was caused by the agent", event.type(), event.detail(), event.domainName());
            return Behaviors.same();
        }
        if (lease.isRequired() && event.type() == org.libvirt.event.DomainEventType.SUSPENDED) {
            if (!lease.valid() || !reconciled) {
                fencing.recordFenced(event.domainName()); // the watchdog fenced it: not the guest's doing
                context.getLog().info("{} paused by the fence: the lease is not valid", event.domainName());
                return Behaviors.same();
            }
            if (fencing.isFenced(event.domainName())) {
                // the watchdog read the old expiry just before the renewal: the lease is valid, undo it
                Hypervisor hv = link.hypervisor();
                if (hv != null) {
                    context.pipeToSelf(pool.call(() -> fencing.resumeFenced(hv, event.domainName(), event.uuid())),
                            (resumed, failure) -> new FenceUndone(event.domainName(), resumed, failure));
                }
                return Behaviors.same();
            }
        }
        String cause = "libvirt event " + event.type() + "/" + event.detail();
        LifecycleReports.Meaning meaning = lifecycle.of(event, domain.meta(), cause);
        meaning.reports().forEach(report -> publish(report, cause, null));
        if (meaning.undefine()) {
            enqueue(new Job(event.domainName(), "UndefineAfterShutdown", domain.meta().vm(),
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

    private Behavior<Object> shutdown() {
        link.close();
        pool.shutdown();
        return Behaviors.same();
    }
}
