package dev.vireo.scheduler;

import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.node.NodeDelivery;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The scheduler's record of the node runtimes: which one holds each node name (its session), each node's
 * lease, and whether it is Ready, NotReady or Lost. Plain code on a clock of nanoseconds, so that lease
 * expiry and the rules for names can be tested without actors or waiting.
 *
 * <p>The lease rule: a node runtime renews its node's lease about every second; the control plane counts
 * each lease from the moment it <em>received</em> the renewal, the node from the moment it sent it, so the
 * node's view ends first. A node is declared lost only when {@code ttl + margin} passed without a renewal:
 * by then its own view has ended and its watchdog had the margin to pause its domains. Nothing else
 * declares a node lost: not the cluster's failure detector, not a member leaving.
 *
 * <p>The naming rule: a name belongs to one node runtime (session) at a time. Another one with the same
 * name is refused while the holder renews; once the holder has stopped renewing, a runtime on the same
 * hypervisor host (same domains) takes the name over at once, one on another host only once the name's
 * node has been declared lost.
 */
final class NodeRoster {

    enum State { Ready, NotReady, Lost }

    /** {@code ttl}: a lease's length; renewals about every {@code renewInterval}; {@code margin}: the fence's time to act. */
    record Timing(Duration ttl, Duration renewInterval, Duration margin, Duration rejoinGrace) {

        long lostAfterNanos() {
            return ttl.plus(margin).toNanos();
        }

        /** A holder that renewed within this is alive: its name is not free. */
        long aliveNanos() {
            return renewInterval.multipliedBy(3).toNanos();
        }
    }

    static final class Entry {
        final String name;
        NodeInfo info;
        ActorRef<NodeDelivery> agent;
        ActorRef<NodeConsole.Read> console;
        String session;
        String address;
        State state = State.NotReady;
        String notReadyReason = "it has not renewed its lease yet";
        /** Its domains are reconciled with the control plane since this session joined: it may get new VMs. */
        boolean reconciled;
        /** When the last renewal arrived; before the first one, when the deadline for one started. */
        long lastRenewal;
        boolean renewed;
        /** Whether the node was ever Ready: a node's first Ready is part of joining, not news. */
        boolean everReady;
        /** The VMs the node had when it was declared lost: never its own again, whatever it says. */
        final Map<VmId, Long> lostVms = new HashMap<>();
        java.time.Instant lostAt;
        /** Deliveries numbered below this were sent before the node was declared lost: void (0: none). */
        long voidBefore;

        Entry(String name) {
            this.name = name;
        }

        boolean registered() {
            return session != null;
        }
    }

    sealed interface Registration {
    }

    /** A node that was not registered (or was lost) joined; {@code rejoined}: it had been here before. */
    record Joined(Entry entry, boolean rejoined) implements Registration {
    }

    /** The holder registered again (heartbeat); {@code changed}: its readiness changed. */
    record Updated(Entry entry, boolean changed) implements Registration {
    }

    /** A node runtime on the holder's own host took the name over (the holder was restarted). */
    record TookOver(Entry entry, String previousAddress) implements Registration {
    }

    record Refused(String reason, boolean retry) implements Registration {
    }

    private final Timing timing;
    private final Map<String, Entry> entries = new TreeMap<>();

    NodeRoster(Timing timing) {
        this.timing = timing;
    }

    Timing timing() {
        return timing;
    }

    Optional<Entry> entry(String node) {
        return Optional.ofNullable(entries.get(node));
    }

    Collection<Entry> entries() {
        return entries.values();
    }

    /**
     * A node known before it registered (a VM placed there, or from the node log after a restart of the
     * control plane): it must renew within the rejoin grace, or it is declared lost.
     */
    Entry known(String node, long now) {
        return entries.computeIfAbsent(node, n -> {
            Entry e = new Entry(n);
            e.notReadyReason = "it has not registered since the control plane started";
            e.lastRenewal = now + Math.max(0, timing.rejoinGrace().toNanos() - timing.lostAfterNanos());
            return e;
        });
    }

    Registration register(NodeRegistration reg, String address, long now) {
        String name = reg.info().name();
        Entry e = entries.get(name);
        if (e == null) {
            e = new Entry(name);
            e.lastRenewal = now;
            entries.put(name, e);
            take(e, reg, address);
            return new Joined(e, false);
        }
        if (Objects.equals(e.session, reg.session()) && e.state != State.Lost) {
            boolean wasReady = e.info == null || e.info.ready();
            take(e, reg, address);
            return new Updated(e, wasReady != reg.info().ready());
        }
        if (e.state == State.Lost || !e.registered()) {
            boolean rejoined = e.registered() || e.state == State.Lost;
            if (e.state == State.Lost) {
                e.reconciled = false;
                e.state = State.NotReady;
                e.notReadyReason = "it has not renewed its lease yet";
                e.renewed = false;
                e.lastRenewal = now;
            }
            take(e, reg, address);
            return new Joined(e, rejoined);
        }
        boolean alive = now - e.lastRenewal < timing.aliveNanos();
        if (alive) {
            return new Refused("node name " + name + " is in use by the node runtime at " + e.address
                    + ", which renews its lease; stop that one first, or give this one another --name", false);
        }
        if (reg.info().hostId() != null && reg.info().hostId().equals(e.info == null ? null : e.info.hostId())) {
            String previous = e.address;
            take(e, reg, address);
            return new TookOver(e, previous);
        }
        long lostIn = (e.lastRenewal + timing.lostAfterNanos() - now) / 1_000_000;
        return new Refused("node name " + name + " belongs to the node runtime at " + e.address + " on another host ("
                + (e.info == null ? "unknown" : e.info.hostId()) + "), whose lease has not run out; this one may take"
                + " the name once that node is declared lost (in about " + Math.max(0, lostIn) + " ms)", true);
    }

    private static void take(Entry e, NodeRegistration reg, String address) {
        if (!Objects.equals(e.session, reg.session())) {
            e.reconciled = false; // a new run of the node runtime: it reconciles before it gets VMs
        }
        e.info = reg.info();
        e.agent = reg.agent();
        e.console = reg.console();
        e.session = reg.session();
        e.address = address;
    }

    /** A renewal of {@code node}'s lease by {@code session}, received {@code now}. */
    NodeLease.Answer renew(String node, String session, long now) {
        Entry e = entries.get(node);
        if (e == null || !e.registered() || !Objects.equals(e.session, session)) {
            return new NodeLease.Revoked(node, false, "this node runtime is not the registered one of node " + node
                    + "; it registers first");
        }
        if (e.state == State.Lost) {
            return new NodeLease.Revoked(node, true, "node " + node + " was declared lost at " + e.lostAt
                    + " (no renewal within " + timing.ttl().plus(timing.margin()).toMillis() + " ms); its VMs are"
                    + " no longer its own");
        }
        e.lastRenewal = now;
        e.renewed = true;
        return new NodeLease.Granted(node, timing.ttl().toMillis());
    }

    /** The nodes whose lease has surely expired by {@code now}: each is Lost from now on. */
    List<Entry> expire(long now, java.time.Instant at) {
        List<Entry> lost = new ArrayList<>();
        for (Entry e : entries.values()) {
            if (e.state != State.Lost && now - e.lastRenewal - timing.lostAfterNanos() > 0) {
                e.state = State.Lost;
                e.lostAt = at;
                e.notReadyReason = "lost";
                lost.add(e);
            }
        }
        return lost;
    }

    /**
     * Whether {@code e} should take new VMs now: registered, reconciled, its hypervisor answering and its lease
     * renewed lately. Sets its state and reason; returns true when Ready changed.
     */
    boolean refreshReadiness(Entry e, long now) {
        if (e.state == State.Lost) {
            return false;
        }
        String reason = null;
        if (!e.registered()) {
            reason = "it has not registered since the control plane started";
        } else if (!e.renewed) {
            reason = "it has not renewed its lease yet";
        } else if (!e.reconciled) {
            reason = "it reconciles its domains with the control plane";
        } else if (e.info != null && !e.info.ready()) {
            reason = "its hypervisor does not answer";
        } else if (now - e.lastRenewal > timing.aliveNanos()) {
            reason = "its lease renewals are overdue (last " + (now - e.lastRenewal) / 1_000_000 + " ms ago)";
        }
        State next = reason == null ? State.Ready : State.NotReady;
        boolean changed = next != e.state;
        e.state = next;
        e.notReadyReason = reason;
        if (next == State.Ready) {
            e.everReady = true;
        }
        return changed;
    }
}
