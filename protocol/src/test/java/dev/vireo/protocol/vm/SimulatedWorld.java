package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeAgentCommand.*;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmEffect.*;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The world around one VM entity, driven only by the entity's effects: a scheduler that holds the
 * placements it was asked for and not released, and nodes that run a domain only when told to start it.
 * Their answers wait in an inbox and reach the entity later: senders interleave at random, but what one
 * sender says arrives in the order said (Pekko's guarantee per sender and receiver). The world never
 * lies: a node reports what happened to its domains.
 */
final class SimulatedWorld {

    static final List<String> NODES = List.of("node-a", "node-b", "node-c");

    enum DomainState { Running, Paused }

    private final Random random;
    private final VmId vm;
    final Set<String> liveNodes = new LinkedHashSet<>(NODES);
    /** node -> incarnation -> domain of the VM on that node. */
    final Map<String, Map<Long, DomainState>> domains = new HashMap<>();
    /** incarnation -> node: the scheduler's reservations for the VM. */
    final Map<Long, String> reservations = new TreeMap<>();
    /** Placement requests the scheduler has not answered with a node yet. */
    final Set<Long> pending = new LinkedHashSet<>();
    /** sender (a node, or the scheduler) -> its messages to the entity, oldest first. */
    final Map<String, ArrayDeque<VmCommand>> inbox = new TreeMap<>();
    final List<Instant> timers = new ArrayList<>();
    /** migration id -> the node the scheduler reserved as its target. */
    final Map<String, String> targets = new TreeMap<>();
    /** The live migration the source node's libvirt runs, if any. */
    MigrateDomain migrating;
    /** A cancel reached the source while its migration ran. */
    boolean cancelled;
    double failureRate = 0.1;
    private int ids;

    SimulatedWorld(Random random, VmId vm) {
        this.random = random;
        this.vm = vm;
        NODES.forEach(n -> domains.put(n, new TreeMap<>()));
    }

    private String rid(String what) {
        return what + "-" + (++ids);
    }

    void carryOut(List<VmEffect> effects) {
        effects.forEach(this::carryOut);
    }

    void carryOut(VmEffect effect) {
        if (effect instanceof RequestPlacement r) {
            if (!reservations.containsKey(r.incarnation())) {
                pending.add(r.incarnation());
            }
        } else if (effect instanceof ClaimPlacement c) {
            pending.remove(c.incarnation());
            if (liveNodes.contains(c.node())) {
                reservations.putIfAbsent(c.incarnation(), c.node());
            }
        } else if (effect instanceof ReserveMigrationTarget r) {
            List<String> candidates = liveNodes.stream().filter(n -> !n.equals(r.source()))
                    .filter(n -> r.node() == null || r.node().equals(n)).toList();
            if (candidates.isEmpty() || random.nextDouble() < failureRate) {
                send("scheduler", new VmCommand.MigrationTargetRefused(rid("target"), r.migrationId(), "no node fits"));
            } else {
                String node = candidates.get(random.nextInt(candidates.size()));
                targets.put(r.migrationId(), node);
                send("scheduler", new VmCommand.MigrationTargetReserved(rid("target"), r.migrationId(), node,
                        r.incarnation()));
            }
        } else if (effect instanceof ClaimMigrationTarget c) {
            if (liveNodes.contains(c.node())) {
                targets.put(c.migrationId(), c.node());
            }
        } else if (effect instanceof ReleasePlacement r) {
            pending.remove(r.incarnation());
            reservations.remove(r.incarnation());
        } else if (effect instanceof ReleaseMigrationTarget r) {
            targets.remove(r.migrationId());
        } else if (effect instanceof PromoteMigrationTarget p) {
            targets.remove(p.migrationId());
            if (liveNodes.contains(p.node())) {
                reservations.clear();
                reservations.put(p.incarnation(), p.node());
            }
        } else if (effect instanceof WakeAt w) {
            timers.add(w.at());
        } else if (effect instanceof ToNode t) {
            // the scheduler forwards a start only for the placement it holds (a lost node's is gone)
            if (t.command() instanceof StartDomain s && !s.node().equals(reservations.get(s.incarnation()))) {
                return;
            }
            if (liveNodes.contains(t.command().node())) {
                onNode(t.command());
            }
        }
    }

    private void onNode(NodeAgentCommand command) {
        String node = command.node();
        Map<Long, DomainState> here = domains.get(node);
        if (command instanceof StartDomain s) {
            if (!here.containsKey(s.incarnation()) && random.nextDouble() < failureRate) {
                report(new NodeReport.ActionFailed(vm, node, s.incarnation(), NodeAction.StartDomain, "no such image"));
            } else {
                here.putIfAbsent(s.incarnation(), DomainState.Running);
                report(new NodeReport.DomainStarted(vm, node, s.incarnation()));
            }
        } else if (command instanceof StopDomain s) {
            here.remove(s.incarnation());
            report(new NodeReport.DomainStopped(vm, node, s.incarnation(), s.force() ? "Destroyed" : "Shutdown"));
        } else if (command instanceof RemoveDomain r) {
            if (r.incarnation() < 0) {
                here.clear();
            } else {
                here.remove(r.incarnation());
            }
            report(new NodeReport.DomainStopped(vm, node, r.incarnation(), "Removed"));
        } else if (command instanceof PauseDomain p) {
            setState(node, p.incarnation(), DomainState.Paused, NodeAction.PauseDomain);
        } else if (command instanceof ResumeDomain r) {
            setState(node, r.incarnation(), DomainState.Running, NodeAction.ResumeDomain);
        } else if (command instanceof PrepareMigration p) {
            if (random.nextDouble() < failureRate) {
                report(new NodeReport.ActionFailed(vm, node, p.incarnation(), NodeAction.PrepareMigration, "no image"));
            } else {
                report(new NodeReport.MigrationPrepared(vm, node, p.incarnation(), p.migrationId(), Map.of(),
                        "qemu:///" + node, "127.0.0.1", 1, 2));
            }
        } else if (command instanceof MigrateDomain m) {
            if (migrating != null || !here.containsKey(m.incarnation())) {
                report(new NodeReport.MigrationAborted(vm, node, m.incarnation(), m.migrationId(), false,
                        "no such domain here"));
            } else {
                migrating = m;
                cancelled = false;
            }
        } else if (command instanceof CancelMigration c) {
            if (migrating != null && migrating.migrationId().equals(c.migrationId())) {
                cancelled = true;
            }
        } else if (command instanceof NodeAgentCommand.TakeSnapshot t) {
            // fails by name, not by dice: the world's random stays the other commands'
            report(t.snapshot().endsWith("3")
                    ? new NodeReport.ActionFailed(vm, node, t.incarnation(), NodeAction.TakeSnapshot, "disk full")
                    : new NodeReport.SnapshotTaken(vm, node, t.incarnation(), t.snapshot(), 1024, t.online() ? 50 : 0, 300));
        } else if (command instanceof NodeAgentCommand.RestoreSnapshot r) {
            report(r.snapshot().endsWith("7") || r.snapshot().endsWith("1")
                    ? new NodeReport.ActionFailed(vm, node, r.incarnation(), NodeAction.RestoreSnapshot, "disk full")
                    : new NodeReport.SnapshotRestored(vm, node, r.incarnation(), r.snapshot(), 80, 400));
        } else if (command instanceof EnsureDomain e) {
            if (migrating != null && migrating.node().equals(node)) {
                endMigration(random.nextBoolean()); // the lane: the answer comes after the migration
            }
            DomainState d = here.get(e.incarnation());
            report(d == null ? new NodeReport.DomainMissing(vm, node, e.incarnation())
                    : new NodeReport.DomainFound(vm, node, e.incarnation(), "uid", found(d)));
        }
    }

    private static dev.vireo.protocol.node.DomainState found(DomainState d) {
        return dev.vireo.protocol.node.DomainState.valueOf(d.name());
    }

    private void setState(String node, long incarnation, DomainState to, NodeAction action) {
        Map<Long, DomainState> here = domains.get(node);
        if (!here.containsKey(incarnation)) {
            report(new NodeReport.ActionFailed(vm, node, incarnation, action, "domain not found"));
            return;
        }
        here.put(incarnation, to);
        report(to == DomainState.Paused ? new NodeReport.DomainPaused(vm, node, incarnation)
                : new NodeReport.DomainResumed(vm, node, incarnation));
    }

    private void report(NodeReport r) {
        send(r.node(), new VmCommand.ReportFromNode(rid("report"), r));
    }

    /** The source's libvirt gets on with its migration: progress, or the end (cancelled if asked and not too late). */
    boolean advanceMigration() {
        if (migrating == null) {
            return false;
        }
        int dice = random.nextInt(4);
        if (dice == 0) {
            report(new NodeReport.MigrationProgressed(vm, migrating.node(), migrating.incarnation(),
                    migrating.migrationId(), new MigrationProgress(100, 10, 5, 5, 0, 1)));
        } else {
            endMigration(dice == 1 || !cancelled && dice == 2);
        }
        return true;
    }

    /** The migration ends: the domain moves to the target (if it and the source's domain are still there), or not. */
    private void endMigration(boolean succeed) {
        MigrateDomain m = migrating;
        migrating = null;
        String source = m.node();
        DomainState d = domains.get(source).get(m.incarnation());
        boolean moves = succeed && d != null && liveNodes.contains(m.target()) && liveNodes.contains(source);
        if (moves) {
            domains.get(source).remove(m.incarnation());
            domains.get(m.target()).put(m.targetIncarnation(), d);
            report(new NodeReport.MigrationSucceeded(vm, source, m.incarnation(), m.migrationId(), 50, 900, 10));
        } else if (liveNodes.contains(source)) {
            report(new NodeReport.MigrationAborted(vm, source, m.incarnation(), m.migrationId(), cancelled,
                    cancelled ? "cancelled" : "the target went away"));
        }
    }

    /** The scheduler answers one pending request: a live node (reserved), or no node. */
    boolean schedule() {
        if (pending.isEmpty()) {
            return false;
        }
        List<Long> all = new ArrayList<>(pending);
        long incarnation = all.get(random.nextInt(all.size()));
        if (liveNodes.isEmpty() || random.nextDouble() < failureRate) {
            send("scheduler", new VmCommand.PlacementFailed(rid("schedule"), incarnation, "no node fits"));
            return true;
        }
        List<String> live = new ArrayList<>(liveNodes);
        String node = live.get(random.nextInt(live.size()));
        pending.remove(incarnation);
        reservations.put(incarnation, node);
        send("scheduler", new VmCommand.PlacementSucceeded(rid("schedule"), node, incarnation));
        return true;
    }

    /** Something happens to a domain on its own: the guest shuts down, QEMU dies, or the guest pauses. */
    boolean domainEvent() {
        List<String> nodes = NODES.stream().filter(n -> !domains.get(n).isEmpty()).toList();
        if (nodes.isEmpty()) {
            return false;
        }
        String node = nodes.get(random.nextInt(nodes.size()));
        List<Long> incarnations = new ArrayList<>(domains.get(node).keySet());
        long incarnation = incarnations.get(random.nextInt(incarnations.size()));
        switch (random.nextInt(3)) {
            case 0 -> {
                domains.get(node).remove(incarnation);
                report(new NodeReport.DomainStopped(vm, node, incarnation, "Shutdown"));
                endMigrationOf(node);
            }
            case 1 -> {
                domains.get(node).remove(incarnation);
                report(new NodeReport.DomainCrashed(vm, node, incarnation, "qemu died"));
                endMigrationOf(node);
            }
            default -> {
                if (domains.get(node).get(incarnation) == DomainState.Running && migrating == null) {
                    domains.get(node).put(incarnation, DomainState.Paused);
                    report(new NodeReport.DomainPaused(vm, node, incarnation));
                }
            }
        }
        return true;
    }

    /** A node leaves the cluster: its domains die with it, and the scheduler forgets its reservations. */
    String loseNode() {
        if (liveNodes.isEmpty()) {
            return null;
        }
        List<String> live = new ArrayList<>(liveNodes);
        String node = live.get(random.nextInt(live.size()));
        if (migrating != null && (migrating.node().equals(node) || migrating.target().equals(node))) {
            liveNodes.remove(node);
            endMigration(false); // the source's migration dies with either node
        }
        liveNodes.remove(node);
        domains.get(node).clear();
        boolean placedThere = reservations.values().removeIf(node::equals);
        placedThere |= targets.values().removeIf(node::equals);
        if (placedThere) {
            // told by the scheduler, so it arrives after the scheduler's earlier answers (as in Pekko)
            send("scheduler", new VmCommand.LoseNode(rid("lost"), node));
        }
        return node;
    }

    /**
     * A live node's hypervisor stops answering for a while: the scheduler tells the VMs placed there,
     * then, once it answers again, the node's reconcile reports every domain it still has.
     */
    String hypervisorBlip() {
        List<String> live = reservations.values().stream().filter(liveNodes::contains).distinct().toList();
        if (live.isEmpty()) {
            return null;
        }
        String node = live.get(random.nextInt(live.size()));
        if (migrating != null && migrating.node().equals(node)) {
            endMigration(false); // the source's migration dies with its connection
        }
        send("scheduler", new VmCommand.NodeNotReady(rid("not-ready"), node));
        domains.get(node).forEach((incarnation, d) ->
                report(new NodeReport.DomainFound(vm, node, incarnation, "uid", found(d))));
        return node;
    }

    /** A domain that died on a migration's source ends the migration. */
    private void endMigrationOf(String node) {
        if (migrating != null && migrating.node().equals(node)) {
            endMigration(false);
        }
    }

    String rejoinNode() {
        List<String> dead = NODES.stream().filter(n -> !liveNodes.contains(n)).toList();
        if (dead.isEmpty()) {
            return null;
        }
        String node = dead.get(random.nextInt(dead.size()));
        liveNodes.add(node);
        return node;
    }

    /** A message the world sent to the entity, taken from the inbox in random order. */
    VmCommand takeMessage() {
        List<ArrayDeque<VmCommand>> senders = inbox.values().stream().filter(q -> !q.isEmpty()).toList();
        return senders.isEmpty() ? null : senders.get(random.nextInt(senders.size())).poll();
    }

    private void send(String sender, VmCommand message) {
        inbox.computeIfAbsent(sender, k -> new ArrayDeque<>()).add(message);
    }

    Instant takeTimer() {
        return timers.isEmpty() ? null : timers.remove(random.nextInt(timers.size()));
    }

    /** Domains of the VM that run (or are paused) anywhere. */
    List<String> runningDomains() {
        List<String> running = new ArrayList<>();
        domains.forEach((node, here) -> here.keySet().forEach(i -> running.add(node + "#" + i)));
        return running;
    }
}
