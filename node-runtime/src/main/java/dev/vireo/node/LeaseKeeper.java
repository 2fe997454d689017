package dev.vireo.node;

import dev.vireo.protocol.node.NodeLease;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;

/**
 * Keeps the node's lease on running its VMs ({@link NodeLease}): renews it every {@code renewInterval},
 * extends the node's {@link Lease} from each grant (counting from the moment the renewal was sent), writes
 * the expiry into the lease file its watchdog reads, and starts that watchdog with the first grant. When the
 * lease runs out (no grant in time) or the control plane revokes it, it tells the agent to fence (pause its
 * domains, hold commands); when a grant comes back, it tells the agent to reconcile before anything else.
 *
 * <p>An actor of its own, with nothing else in its mailbox: a busy agent must not delay the renewals.
 */
public final class LeaseKeeper {

    /**
     * @param files          the lease file and the watchdog's files; null: no watchdog (libvirt's test driver keeps
     *                       its domains in the node's JVM, where a frozen JVM runs nothing)
     * @param startWatchdog  whether this node runtime starts the watchdog process itself; false: another process
     *                       runs it ({@code vireo watchdog}, e.g. a container of its own beside the node's)
     */
    public record Settings(Duration renewInterval, Duration askTimeout, Duration checkInterval, NodeFiles files,
                           String hypervisorUri, Duration watchdogInterval, boolean startWatchdog) {
    }

    public sealed interface Command {
    }

    private enum Tick implements Command { RENEW, CHECK }

    private record Answered(long epoch, long sentNanos, long sentMillis, NodeLease.Answer answer) implements Command {
    }

    private record NotAnswered(long epoch, String why) implements Command {
    }

    private final String node;
    private final String session;
    private final Lease lease;
    private final ActorRef<NodeLease.Renew> renewals;
    private final ActorRef<NodeAgent.Message> agent;
    private final Settings settings;
    private final ActorContext<Command> context;
    /** Answers to renewals sent before the last revocation are ignored: they must not bring a revoked lease back. */
    private long epoch;
    private boolean fenced;
    private boolean lost;
    private boolean granted;
    private boolean watchdogStarted;
    private boolean toldNoLease;
    private Instant lastGrant;

    public static Behavior<Command> create(String node, String session, Lease lease,
                                           ActorRef<NodeLease.Renew> renewals, ActorRef<NodeAgent.Message> agent,
                                           Settings settings) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers ->
                new LeaseKeeper(node, session, lease, renewals, agent, settings, context, timers).behavior()));
    }

    private LeaseKeeper(String node, String session, Lease lease, ActorRef<NodeLease.Renew> renewals,
                        ActorRef<NodeAgent.Message> agent, Settings settings, ActorContext<Command> context,
                        TimerScheduler<Command> timers) {
        this.node = node;
        this.session = session;
        this.lease = lease;
        this.renewals = renewals;
        this.agent = agent;
        this.settings = settings;
        this.context = context;
        context.setLoggerName(LeaseKeeper.class);
        timers.startTimerAtFixedRate(Tick.RENEW, Duration.ZERO, settings.renewInterval());
        timers.startTimerAtFixedRate(Tick.CHECK, settings.checkInterval());
    }

    private Behavior<Command> behavior() {
        return Behaviors.receive(Command.class)
                .onMessageEquals(Tick.RENEW, () -> {
                    renew();
                    return Behaviors.same();
                })
                .onMessageEquals(Tick.CHECK, () -> {
                    check();
                    return Behaviors.same();
                })
                .onMessage(Answered.class, answered -> {
                    if (answered.epoch() == epoch) {
                        if (answered.answer() instanceof NodeLease.Granted g) {
                            granted(answered, g);
                        } else if (answered.answer() instanceof NodeLease.Revoked r) {
                            revoked(r);
                        }
                    }
                    return Behaviors.same();
                })
                .onMessage(NotAnswered.class, n -> {
                    context.getLog().debug("node {}: a lease renewal went unanswered: {}", node, n.why());
                    return Behaviors.same();
                })
                .build();
    }

    private void renew() {
        long sentNanos = System.nanoTime();
        long sentMillis = System.currentTimeMillis();
        long at = epoch;
        context.ask(NodeLease.Answer.class, renewals, settings.askTimeout(),
                replyTo -> new NodeLease.Renew(node, session, replyTo),
                (answer, failure) -> answer != null ? new Answered(at, sentNanos, sentMillis, answer)
                        : new NotAnswered(at, String.valueOf(failure)));
    }

    private void granted(Answered answered, NodeLease.Granted grant) {
        boolean regained = lease.extend(answered.sentNanos(), answered.sentMillis(), grant.ttlMillis());
        if (settings.files() != null) {
            settings.files().writeLease(lease.expiresAtMillis());
            if (!watchdogStarted) {
                if (settings.startWatchdog()) {
                    Watchdog.ensureRunning(settings.files(), settings.hypervisorUri(), settings.watchdogInterval());
                } else if (Watchdog.running(settings.files()).isEmpty()) {
                    context.getLog().warn("node {}: no watchdog guards its domains yet (none runs with pid file {});"
                            + " start one (vireo watchdog) or the domains keep running when this JVM cannot renew",
                            node, settings.files().watchdogPid());
                }
                watchdogStarted = true;
            }
        }
        lastGrant = Instant.ofEpochMilli(answered.sentMillis());
        if (!granted || regained || fenced) {
            context.getLog().info("node {}: lease {} (session {}, {} ms from each renewal){}", node,
                    granted ? "regained" : "granted", session, grant.ttlMillis(),
                    lost ? "; the node was declared lost meanwhile: it reconciles before it runs anything" : "");
            agent.tell(new NodeAgent.LeaseRegained(lost));
            toldNoLease = false;
            granted = true;
            fenced = false;
            lost = false;
        }
    }

    private void revoked(NodeLease.Revoked revoked) {
        epoch++;
        lease.revoke();
        if (settings.files() != null && granted) {
            settings.files().writeLease(lease.expiresAtMillis()); // the watchdog fences at once
        }
        lost |= revoked.lost();
        if (granted && !fenced) {
            context.getLog().warn("node {}: lease revoked by the control plane ({}): fencing, its domains are paused",
                    node, revoked.reason());
            fenced = true;
            agent.tell(NodeAgent.LeaseSignal.FENCE);
        } else if (!toldNoLease) {
            toldNoLease = true; // it asks every second until it is registered: once is enough to say
            context.getLog().info("node {}: no lease yet ({})", node, revoked.reason());
        }
        agent.tell(NodeAgent.LeaseSignal.REGISTER_NOW);
    }

    private void check() {
        if (granted && !fenced && !lease.valid()) {
            context.getLog().warn("node {}: lease expired at {} (last renewal sent {}): fencing, its domains are"
                    + " paused until the control plane renews the lease", node,
                    Instant.ofEpochMilli(lease.expiresAtMillis()), lastGrant);
            fenced = true;
            agent.tell(NodeAgent.LeaseSignal.FENCE);
        }
    }
}
