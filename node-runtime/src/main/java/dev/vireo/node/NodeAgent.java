package dev.vireo.node;

import static dev.vireo.node.LibvirtPool.rootMessage;

import dev.vireo.node.DomainStep.Again;
import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.HypervisorLink.ConnectFailed;
import dev.vireo.node.HypervisorLink.Connected;
import dev.vireo.node.HypervisorLink.ConnectionLost;
import dev.vireo.node.HypervisorLink.LifecycleEvent;
import dev.vireo.node.HypervisorLink.PingAnswered;
import dev.vireo.node.HypervisorLink.Tick;
import dev.vireo.node.OwnedDomains.Owned;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
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

    public static Behavior<Object> create(NodeAgentSettings settings, ActorRef<NodeReport> reports,
                                          ActorRef<NodeRegistration> registrations) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> Behaviors.withStash(STASH_CAPACITY,
                stash -> new NodeAgent(settings, reports, registrations, context, timers, stash).connecting())));
    }

    private NodeAgent(NodeAgentSettings settings, ActorRef<NodeReport> reports,
                      ActorRef<NodeRegistration> registrations, ActorContext<Object> context,
                      TimerScheduler<Object> timers, StashBuffer<Object> stash) {
        this.settings = settings;
        this.reports = reports;
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        this.operations = new DomainOperations(settings.nodeName(), owned, settings.dataDirectory());
        this.lifecycle = new LifecycleReports(settings.nodeName(), context.getLog());
        this.pool = new LibvirtPool(settings.nodeName());
        this.link = new HypervisorLink(settings, registrations, context, timers, pool, owned);
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
                    finishStep(finished).ifPresent(next -> stash.stash(new StepDue(next)));
                    return Behaviors.same();
                })
                .onMessage(StepDue.class, due -> {
                    stash.stash(due);
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
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    /** Reports each Vireo domain the new connection has, then handles the commands that waited. */
    private Behavior<Object> onConnected(Connected connected) {
        link.opened(connected, d -> {
            VireoMetadata meta = d.meta();
            if (d.state() == DomainState.Paused) {
                lifecycle.foundPaused(d.name());
            }
            publish(new NodeReport.DomainFound(meta.vm(), settings.nodeName(), meta.incarnation(), meta.uid(),
                    d.state().name()), "reconcile", null);
        });
        return stash.unstashAll(running());
    }

    private Behavior<Object> stashCommand(NodeAgentCommand command) {
        if (stash.isFull()) {
            reports.tell(new NodeReport.ActionFailed(command.vm(), settings.nodeName(),
                    DomainOperations.incarnationOf(command), DomainOperations.actionName(command),
                    "node agent " + settings.nodeName() + " is not connected to " + settings.hypervisorUri()
                            + " yet and has " + STASH_CAPACITY + " commands waiting; retry later"));
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
