package dev.vireo.node;

import dev.vireo.node.DomainStep.Again;
import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.node.OwnedDomains.Owned;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.StashBuffer;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventDetail;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.StoppedDetail;

/**
 * The node agent: drives one hypervisor's libvirt domains for the VM entities and tells them what
 * happens to their domains. Commands arrive as {@link NodeAgentCommand}, answers leave as
 * {@link NodeReport}s; the agent registers its node (and heartbeats) as {@link NodeRegistration}.
 *
 * <p>libvirt calls block, so they run on a small pool of the agent's own; one lane per domain keeps
 * each VM's operations in order. Lifecycle events arrive on libvirt's event loop thread and are
 * handed to the actor; only the ones the agent did not cause itself become reports.
 */
public final class NodeAgent {

    private static final int LIBVIRT_THREADS = 4;
    private static final int STASH_CAPACITY = 1000;

    private record Connected(Hypervisor hypervisor, NodeInfo info, List<VireoDomain> found) {
    }

    private record ConnectFailed(Throwable cause) {
    }

    /** The connection {@code hypervisor} broke (libvirt closed it, or a ping failed). */
    private record ConnectionLost(Hypervisor hypervisor, String reason) {
    }

    private record PingAnswered(Hypervisor hypervisor) {
    }

    private enum Tick { CONNECT, HEARTBEAT }

    private static final Duration FIRST_RECONNECT = Duration.ofSeconds(1);
    private static final Duration MAX_RECONNECT = Duration.ofSeconds(30);

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

    private record LifecycleEvent(String domainName, String uuid, DomainEventType type, DomainEventDetail detail) {
    }

    private final NodeAgentSettings settings;
    private final ActorRef<NodeReport> reports;
    private final ActorRef<NodeRegistration> registrations;
    private final ActorContext<Object> context;
    private final TimerScheduler<Object> timers;
    private final StashBuffer<Object> stash;
    private final ExecutorService libvirtPool;
    private final OwnedDomains owned = new OwnedDomains();
    private final DomainOperations operations;
    private final DomainLanes<Job> lanes = new DomainLanes<>();
    /** Domains last reported paused: a RESUMED event means something only for them (start emits one too). */
    private final Set<String> paused = new HashSet<>();
    private final LifecycleListener listener;
    private Hypervisor hypervisor;
    private NodeInfo info;
    private Duration reconnectDelay = FIRST_RECONNECT;
    private boolean pingInFlight;

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
        this.registrations = registrations;
        this.context = context;
        this.timers = timers;
        this.stash = stash;
        this.operations = new DomainOperations(settings.nodeName(), owned, settings.dataDirectory());
        this.libvirtPool = Executors.newFixedThreadPool(LIBVIRT_THREADS, daemonThreads("libvirt-" + settings.nodeName()));
        ActorRef<Object> self = context.getSelf();
        this.listener = (domain, event) -> {
            // Runs on libvirt's event loop thread: only hand over. Name and UUID are local reads, no RPC.
            try {
                self.tell(new LifecycleEvent(domain.getName(), domain.getUUIDString(), event.getType(),
                        (DomainEventDetail) event.getDetail()));
            } catch (LibvirtException | RuntimeException e) {
                context.getSystem().log().warn("lifecycle event {} not handed over: {}", event, e.getMessage());
            }
            return 0;
        };
        connect();
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
                .onMessage(ConnectFailed.class, this::onConnectFailed)
                .onMessageEquals(Tick.CONNECT, () -> {
                    connect();
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
                    if (info != null) {
                        register(); // still not ready
                    }
                    return Behaviors.same();
                })
                // What happened meanwhile is read from libvirt by the reconcile after reconnecting.
                .onMessage(LifecycleEvent.class, event -> Behaviors.same())
                .onMessage(ConnectionLost.class, lost -> Behaviors.same())
                .onMessage(PingAnswered.class, answered -> {
                    pingInFlight = false;
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    private void connect() {
        String uri = settings.hypervisorUri();
        ActorRef<Object> self = context.getSelf();
        context.pipeToSelf(blocking(() -> {
            Hypervisor hv = Hypervisor.open(uri, settings.nodeName(), settings.dataDirectory());
            try {
                hv.onClose(reason -> self.tell(new ConnectionLost(hv, "libvirt closed the connection (" + reason + ")")));
                hv.addLifecycleListener(listener);
                org.libvirt.NodeInfo node = hv.nodeInfo();
                List<VireoDomain> found = hv.vireoDomains();
                for (VireoDomain d : found) {
                    owned.put(d.name(), new Owned(d.meta(), d.uuid()));
                }
                return new Connected(hv, nodeInfo(hv, node), found);
            } catch (LibvirtException | RuntimeException e) {
                hv.closeQuietly(listener); // the retry opens a fresh connection
                throw e;
            }
        }), (connected, failure) -> failure == null ? connected : new ConnectFailed(failure));
    }

    private NodeInfo nodeInfo(Hypervisor hv, org.libvirt.NodeInfo node) {
        int cpus = settings.cpusOverride() != null ? settings.cpusOverride() : node.cpus;
        // libvirt reports node memory in KiB.
        long memory = settings.memoryBytesOverride() != null ? settings.memoryBytesOverride() : node.memory * 1024L;
        return new NodeInfo(settings.nodeName(), cpus, memory, settings.labels(), hv.uri(),
                hv.virtualization().word(), true);
    }

    private Behavior<Object> onConnected(Connected connected) {
        hypervisor = connected.hypervisor();
        info = connected.info();
        reconnectDelay = FIRST_RECONNECT;
        pingInFlight = false;
        context.getLog().info("node {} connected to {} ({}): {} cpus, {} bytes, {} Vireo domain(s) found",
                info.name(), info.hypervisor(), info.virtualization(), info.cpus(), info.memoryBytes(),
                connected.found().size());
        for (VireoDomain d : connected.found()) {
            VireoMetadata meta = d.meta();
            if (d.state() == DomainState.Paused) {
                paused.add(d.name());
            }
            publish(new NodeReport.DomainFound(meta.vm(), info.name(), meta.incarnation(), meta.uid(), d.state().name()),
                    "reconcile", null);
        }
        register();
        timers.startTimerAtFixedRate(Tick.HEARTBEAT, settings.heartbeatInterval());
        return stash.unstashAll(running());
    }

    private Behavior<Object> onConnectFailed(ConnectFailed failed) {
        context.getLog().error("node {} cannot open {}: {}; retrying in {}", settings.nodeName(),
                settings.hypervisorUri(), rootMessage(failed.cause()), reconnectDelay);
        timers.startSingleTimer(Tick.CONNECT, reconnectDelay);
        reconnectDelay = reconnectDelay.multipliedBy(2).compareTo(MAX_RECONNECT) > 0
                ? MAX_RECONNECT : reconnectDelay.multipliedBy(2);
        return Behaviors.same();
    }

    /** The daemon went away: the node is not ready until a new connection is open and reconciled. */
    private Behavior<Object> onConnectionLost(ConnectionLost lost) {
        if (lost.hypervisor() != hypervisor) {
            return Behaviors.same(); // news about a connection already given up
        }
        context.getLog().error("node {} lost {}: {}; node not ready, reconnecting", settings.nodeName(),
                settings.hypervisorUri(), lost.reason());
        Hypervisor broken = hypervisor;
        hypervisor = null;
        libvirtPool.execute(() -> broken.closeQuietly(listener));
        info = new NodeInfo(info.name(), info.cpus(), info.memoryBytes(), info.labels(), info.hypervisor(),
                info.virtualization(), false);
        register();
        reconnectDelay = FIRST_RECONNECT;
        timers.startSingleTimer(Tick.CONNECT, reconnectDelay);
        return connecting();
    }

    /** Checks that the daemon still answers; a closed connection is not always announced. */
    private void ping() {
        if (pingInFlight || hypervisor == null) {
            return;
        }
        pingInFlight = true;
        Hypervisor hv = hypervisor;
        context.pipeToSelf(blocking(() -> {
            hv.ping();
            return hv;
        }), (ok, failure) -> failure == null ? new PingAnswered(hv)
                : new ConnectionLost(hv, "libvirt does not answer: " + rootMessage(failure)));
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
                    register();
                    ping();
                    return Behaviors.same();
                })
                .onMessage(ConnectionLost.class, this::onConnectionLost)
                .onMessage(PingAnswered.class, answered -> {
                    pingInFlight = false;
                    return Behaviors.same();
                })
                .onSignal(PostStop.class, signal -> shutdown())
                .build();
    }

    private void register() {
        registrations.tell(new NodeRegistration(info, context.getSelf().narrow()));
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
        Hypervisor hv = hypervisor; // read here, on the actor: the field changes when the connection is lost
        context.pipeToSelf(blocking(() -> job.step().run(hv)),
                (outcome, failure) -> new StepFinished(job, outcome, failure));
    }

    private Behavior<Object> onStepFinished(StepFinished finished) {
        finishStep(finished).ifPresent(this::runStep);
        if (finished.failure() != null) {
            ping(); // a failed call may be the first sign of a daemon that went away
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
        VmId vm = domain.meta().vm();
        long incarnation = domain.meta().incarnation();
        String node = settings.nodeName();
        String cause = "libvirt event " + event.type() + "/" + event.detail();
        switch (event.type()) {
            case STOPPED -> onStoppedOutside(event, vm, incarnation, cause);
            case SUSPENDED -> {
                if (!isMigration(event)) {
                    publish(new NodeReport.DomainPaused(vm, node, incarnation), cause, null);
                }
            }
            case RESUMED -> {
                if (!isMigration(event) && paused.contains(event.domainName())) {
                    publish(new NodeReport.DomainResumed(vm, node, incarnation), cause, null);
                }
            }
            case STARTED -> context.getLog().debug("{} of {}: unexpected {}", event.domainName(), vm, cause);
            default -> context.getLog().debug("{} of {} ignored", cause, vm);
        }
        return Behaviors.same();
    }

    private void onStoppedOutside(LifecycleEvent event, VmId vm, long incarnation, String cause) {
        String node = settings.nodeName();
        if (!(event.detail() instanceof StoppedDetail detail)) {
            publish(new NodeReport.DomainStopped(vm, node, incarnation, String.valueOf(event.detail())), cause, null);
            return;
        }
        switch (detail) {
            case SHUTDOWN -> {
                // The guest powered itself off: that is a stop, and the domain is no longer wanted.
                publish(new NodeReport.DomainStopped(vm, node, incarnation, "Shutdown"), cause, null);
                enqueue(new Job(event.domainName(), "UndefineAfterShutdown", vm, incarnation, null,
                        operations.undefineIfStillOff(event.domainName(), event.uuid())));
            }
            case DESTROYED -> publish(new NodeReport.DomainCrashed(vm, node, incarnation, "Destroyed"), cause, null);
            case CRASHED -> publish(new NodeReport.DomainCrashed(vm, node, incarnation, "Crashed"), cause, null);
            case FAILED -> publish(new NodeReport.DomainCrashed(vm, node, incarnation, "Failed"), cause, null);
            // The source side of a live migration; the migration protocol (a later issue) reports that.
            case MIGRATED -> context.getLog().info("{} of {} left by migration", event.domainName(), vm);
            default -> publish(new NodeReport.DomainStopped(vm, node, incarnation, word(detail.name())), cause, null);
        }
    }

    private static boolean isMigration(LifecycleEvent event) {
        return event.detail() != null && "MIGRATED".equals(((Enum<?>) event.detail()).name());
    }

    private void publish(NodeReport report, String cause, String requestId) {
        String domainName = report.vm().domainName();
        if (report instanceof NodeReport.DomainPaused
                || report instanceof NodeReport.DomainFound found && "Paused".equals(found.state())) {
            paused.add(domainName);
        } else if (!(report instanceof NodeReport.ActionFailed || report instanceof NodeReport.DomainMissing)) {
            paused.remove(domainName);
        }
        context.getLog().info("{} incarnation {} (request {}, {}): {}", report.vm(), report.incarnation(),
                requestId == null ? "-" : requestId, cause, report);
        reports.tell(report);
    }

    private Behavior<Object> shutdown() {
        Hypervisor hv = hypervisor;
        if (hv != null) {
            libvirtPool.execute(() -> hv.closeQuietly(listener));
        }
        libvirtPool.shutdown();
        return Behaviors.same();
    }

    private <T> CompletionStage<T> blocking(Callable<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (Exception e) {
                throw new CompletionException(e);
            }
        }, libvirtPool);
    }

    private static String rootMessage(Throwable failure) {
        Throwable cause = failure;
        while ((cause instanceof CompletionException || cause.getCause() != null && cause.getMessage() == null)
                && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof LibvirtException libvirt && libvirt.getError() != null) {
            return libvirt.getError().getMessage();
        }
        return cause.getMessage() != null ? cause.getMessage() : cause.toString();
    }

    private static String word(String constant) {
        return constant.charAt(0) + constant.substring(1).toLowerCase().replace('_', ' ');
    }

    private static java.util.concurrent.ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + "-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }
}
