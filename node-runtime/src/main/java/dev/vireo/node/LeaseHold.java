package dev.vireo.node;

import static dev.vireo.node.LibvirtPool.rootMessage;

import dev.vireo.node.HypervisorLink.LifecycleEvent;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeReport;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.libvirt.event.DomainEventType;

/**
 * The agent's side of its node's lease: it pauses the running domains when the lease expires (fencing), and once
 * a lease is granted again it asks the control plane which of its domains are still its own, destroys the others
 * and resumes the fenced ones that are ({@link Fencing} does the libvirt work). Until that reconcile is done under
 * a valid lease, the agent holds its commands.
 *
 * <p>Part of the {@link NodeAgent} actor, as {@link HypervisorLink} is: its methods run on the actor's thread, its
 * libvirt calls on the agent's pool, and what they come to arrives as the messages below.
 */
final class LeaseHold {

    static final Duration RECONCILE_TIMEOUT = Duration.ofSeconds(30);
    static final Duration RECONCILE_RETRY = Duration.ofSeconds(2);

    enum Retry implements NodeAgent.Message { RECONCILE }

    record Fenced(List<String> domains, Throwable failure) implements NodeAgent.Message {
    }

    record HeldListed(List<NodeLease.Held> held, Throwable failure) implements NodeAgent.Message {
    }

    record OwnershipAnswered(NodeLease.Ownership ownership, Throwable failure) implements NodeAgent.Message {
    }

    record ReconcileDone(Fencing.Reconciled result, Throwable failure) implements NodeAgent.Message {
    }

    record FenceUndone(String domainName, Boolean resumed, Throwable failure) implements NodeAgent.Message {
    }

    private final String node;
    private final Lease lease;
    private final Fencing fencing;
    private final NodeAgent.Uplink uplink;
    private final ActorContext<NodeAgent.Message> context;
    private final TimerScheduler<NodeAgent.Message> timers;
    private final LibvirtPool pool;
    private final HypervisorLink link;
    /** A grant came that the domains have not been reconciled with yet. */
    private boolean regainPending;
    private boolean reconciling;
    /** Reconciled with the control plane since the last fence (always true without a lease). */
    private boolean reconciled;
    /** Deliveries numbered below this were sent before the node was declared lost: they are void. */
    private long voidBefore;

    LeaseHold(String node, Lease lease, Fencing fencing, NodeAgent.Uplink uplink, ActorContext<NodeAgent.Message> context,
              TimerScheduler<NodeAgent.Message> timers, LibvirtPool pool, HypervisorLink link) {
        this.node = node;
        this.lease = lease;
        this.fencing = fencing;
        this.uplink = uplink;
        this.context = context;
        this.timers = timers;
        this.pool = pool;
        this.link = link;
        this.reconciled = !lease.isRequired();
        // an agent started again (after a failure) under a lease that is still valid reconciles first
        this.regainPending = lease.isRequired() && lease.valid();
    }

    /** Whether commands must wait: no lease, or one the domains are not reconciled with yet. */
    boolean mustHold() {
        return !reconciled || regainPending || !lease.valid();
    }

    long voidBefore() {
        return voidBefore;
    }

    /** The lease has expired: pause every running domain; commands wait until the lease is back. */
    void fence() {
        reconciled = false;
        Hypervisor hv = link.hypervisor();
        if (hv != null) {
            context.pipeToSelf(pool.call(() -> fencing.fenceAll(hv)), Fenced::new);
        }
    }

    /** Connected again: a lease that ran out while the connection was down is fenced now. */
    void connected() {
        if (lease.expiresAtMillis() > 0 && !lease.valid()) {
            fence();
        }
        reconcileIfDue();
    }

    void connectionLost() {
        reconciling = false; // its answer, if any, is dropped while connecting
    }

    /** A grant came (again): reconcile before anything else. */
    void regained() {
        regainPending = true;
        reconciled = false;
        reconcileIfDue();
    }

    /** Starts a reconcile when a grant waits for one, the lease is valid and the hypervisor is connected. */
    void reconcileIfDue() {
        Hypervisor hv = link.hypervisor();
        if (!regainPending || reconciling || hv == null || !lease.valid() || uplink.reconciles() == null) {
            return;
        }
        regainPending = false;
        reconciling = true;
        context.pipeToSelf(pool.call(() -> fencing.held(hv)), HeldListed::new);
    }

    void onFenced(Fenced fenced) {
        if (fenced.failure() != null) {
            context.getLog().error("node {}: fencing failed: {} (the watchdog fences what runs)", node,
                    rootMessage(fenced.failure()));
        } else if (!fenced.domains().isEmpty()) {
            context.getLog().warn("node {}: lease expired: paused {} domain(s) {}", node, fenced.domains().size(),
                    fenced.domains());
        }
    }

    void onHeldListed(HeldListed listed) {
        if (listed.failure() != null) {
            reconcileFailed("cannot list its domains: " + rootMessage(listed.failure()));
            return;
        }
        context.getLog().info("node {}: asking the control plane which of its {} domain(s) are still its own", node,
                listed.held().size());
        context.ask(NodeLease.Ownership.class, uplink.reconciles(), RECONCILE_TIMEOUT,
                replyTo -> new NodeLease.Reconcile(node, uplink.session(), listed.held(), replyTo),
                OwnershipAnswered::new);
    }

    void onOwnership(OwnershipAnswered answered) {
        if (answered.failure() != null || answered.ownership().refused()) {
            reconcileFailed(answered.failure() != null ? "no answer: " + rootMessage(answered.failure())
                    : answered.ownership().reason());
            return;
        }
        Hypervisor hv = link.hypervisor();
        if (hv == null || !lease.valid()) {
            reconcileFailed(hv == null ? "the hypervisor connection is gone" : "the lease expired meanwhile");
            return;
        }
        NodeLease.Ownership ownership = answered.ownership();
        if (ownership.voidBefore() > voidBefore) {
            voidBefore = ownership.voidBefore();
            context.getLog().warn("node {}: it was declared lost meanwhile: the commands it was sent before (numbered"
                    + " below {}) are void and are not carried out", node, voidBefore);
        }
        context.pipeToSelf(pool.call(() -> fencing.reconcile(hv, ownership)), ReconcileDone::new);
    }

    /**
     * @param report gets what the reconcile reports (destroyed domains) and each domain kept
     * @return true when the domains are reconciled under a valid lease: the commands that waited may run
     */
    boolean onReconcileDone(ReconcileDone done, Consumer<NodeReport> report, Consumer<Hypervisor.VireoDomain> kept) {
        if (done.failure() != null) {
            reconcileFailed(rootMessage(done.failure()));
            return false;
        }
        reconciling = false;
        Fencing.Reconciled result = done.result();
        result.reports().forEach(report);
        result.kept().forEach(kept);
        context.getLog().info("node {}: reconciled: {} domain(s) kept, {} destroyed (no longer its own), {} resumed",
                node, result.kept().size(), result.destroyed(), result.resumed());
        if (regainPending || !lease.valid()) {
            reconcileIfDue();
            return false;
        }
        reconciled = true;
        return true;
    }

    private void reconcileFailed(String why) {
        reconciling = false;
        regainPending = true;
        context.getLog().warn("node {}: reconcile with the control plane failed ({}); trying again in {}", node, why,
                RECONCILE_RETRY);
        timers.startSingleTimer(Retry.RECONCILE, RECONCILE_RETRY);
    }

    /**
     * A pause the agent did not cause: the watchdog's fence, while the lease is not valid (not the guest's doing,
     * not reported); or the watchdog having read the old expiry just before a renewal (undone at once).
     *
     * @return true when the event is the fence's and must not be reported
     */
    boolean suspendedByFence(LifecycleEvent event) {
        if (!lease.isRequired() || event.type() != DomainEventType.SUSPENDED) {
            return false;
        }
        if (!lease.valid() || !reconciled) {
            fencing.recordFenced(event.domainName());
            context.getLog().info("{} paused by the fence: the lease is not valid", event.domainName());
            return true;
        }
        if (!fencing.isFenced(event.domainName())) {
            return false;
        }
        Hypervisor hv = link.hypervisor();
        if (hv != null) {
            context.pipeToSelf(pool.call(() -> fencing.resumeFenced(hv, event.domainName(), event.uuid())),
                    (resumed, failure) -> new FenceUndone(event.domainName(), resumed, failure));
        }
        return true;
    }

    void onFenceUndone(FenceUndone undone) {
        if (undone.failure() != null) {
            context.getLog().error("node {}: could not resume {} after a late fence: {}", node, undone.domainName(),
                    rootMessage(undone.failure()));
        } else if (Boolean.TRUE.equals(undone.resumed())) {
            context.getLog().info("node {}: resumed {}: the watchdog paused it after the lease was renewed", node,
                    undone.domainName());
        }
    }
}
