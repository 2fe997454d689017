package dev.vireo.scheduler;

import dev.vireo.protocol.api.RequestIds;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.node.NodeEvent;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.scheduler.NodeRoster.Entry;
import dev.vireo.scheduler.NodeRoster.State;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.slf4j.Logger;

/**
 * The scheduler's side of the nodes: registrations (and refusals of a name in use), leases, readiness, the
 * loss of a node whose lease surely expired, cordons, and which domains a returning node still owns. Part of
 * the {@link Scheduler} actor: its methods run on the actor's thread. The decisions are {@link NodeRoster}'s;
 * this turns them into node events, placements and commands to VMs.
 */
final class Nodes {

    /** How long a node's question about its domains may wait for the VMs' answers. */
    static final Duration OWNERSHIP_TIMEOUT = Duration.ofSeconds(20);

    private final ActorContext<Scheduler.Command> context;
    private final Logger log;
    private final NodeRoster roster;
    private final Placements placements;
    private final NodeMailboxes mailboxes;
    private final ActorRef<NodeLog.Command> nodeLog;
    private final BiConsumer<VmId, VmCommand> toVm;
    private final Function<VmId, CompletionStage<VmState>> vmState;
    private final int cpuAllocationRatio;
    private final Runnable capacityFreed;
    private final Map<String, Boolean> logged = new HashMap<>();
    private NodeLog.State logState = new NodeLog.State(Map.of());

    Nodes(ActorContext<Scheduler.Command> context, NodeRoster.Timing timing, Placements placements,
          NodeMailboxes mailboxes, ActorRef<NodeLog.Command> nodeLog, BiConsumer<VmId, VmCommand> toVm,
          Function<VmId, CompletionStage<VmState>> vmState, int cpuAllocationRatio, Runnable capacityFreed) {
        this.context = context;
        this.log = context.getLog();
        this.roster = new NodeRoster(timing);
        this.placements = placements;
        this.mailboxes = mailboxes;
        this.nodeLog = nodeLog;
        this.toVm = toVm;
        this.vmState = vmState;
        this.cpuAllocationRatio = cpuAllocationRatio;
        this.capacityFreed = capacityFreed;
    }

    private static long now() {
        return System.nanoTime();
    }

    /** The node log recovered: the nodes it knows must come back within the rejoin grace, cordons hold. */
    void recovered(NodeLog.State state) {
        logState = state;
        state.nodes().forEach((name, node) -> {
            Entry e = roster.known(name, now());
            if (node.lost() && !e.registered()) {
                e.state = State.Lost;
                e.notReadyReason = "lost";
            }
            placements.cordon(name, node.cordoned());
        });
        log.info("node log recovered: {} node(s) known, cordoned: {}", state.nodes().size(), state.cordoned());
    }

    /** A recovered VM is placed on {@code node}: the node must come back within the rejoin grace. */
    void claimed(String node) {
        if (roster.entry(node).isEmpty()) {
            roster.known(node, now());
        }
    }

    void register(NodeRegistration reg) {
        String name = reg.info().name();
        String address = reg.agent().path().address().toString();
        NodeRoster.Registration outcome = roster.register(reg, address, now());
        if (outcome instanceof NodeRoster.Refused refused) {
            if (logged.put(name + "|" + reg.session(), true) == null) {
                log.warn("node {}: refused the node runtime at {} (session {}): {}{}", name, address, reg.session(),
                        refused.reason(), refused.retry() ? "" : "; the running one keeps its VMs");
            }
            if (reg.answers() != null) {
                reg.answers().tell(new NodeRegistration.Refused(name, refused.reason(), refused.retry()));
            }
            return;
        }
        Entry e = outcome instanceof NodeRoster.Joined j ? j.entry()
                : outcome instanceof NodeRoster.TookOver t ? t.entry() : ((NodeRoster.Updated) outcome).entry();
        // No death watch on the agent: the cluster's failure detector must not be what takes a node's VMs away
        // (only its lease does), and a member that rejoins at the same address gets its predecessor's Terminated.
        mailboxes.register(name, reg.agent());
        if (outcome instanceof NodeRoster.Joined joined) {
            NodeInfo i = reg.info();
            log.info("node {} {}: {} at {}: {} vCPUs ({} CPUs x {}), {} MiB, hypervisor {} ({}), libvirt {}, labels {},"
                            + " {} image(s) in {}", name, joined.rejoined() ? "joined again" : "joined", reg.session(),
                    address, i.cpus() * cpuAllocationRatio, i.cpus(), cpuAllocationRatio, i.memoryBytes() >> 20,
                    i.hypervisor(), i.virtualization(), i.libvirtUri(), i.labels(), i.images().files().size(),
                    i.images().directory());
            record(new NodeEvent.NodeJoined(meta(RequestIds.NODE + "joined"), name, address, i.cpus() * cpuAllocationRatio,
                    i.memoryBytes(), i.labels(), i.hypervisor(), i.libvirtUri()));
        } else if (outcome instanceof NodeRoster.TookOver took) {
            log.info("node {}: the node runtime at {} (session {}) took over from {}: the same hypervisor host {}, so the"
                    + " same domains; the lease goes on", name, address, reg.session(), took.previousAddress(),
                    reg.info().hostId());
            downReplacedMember(name, took.previousAddress(), address);
            NodeInfo i = reg.info();
            record(new NodeEvent.NodeJoined(meta(RequestIds.NODE + "joined"), name, address, i.cpus() * cpuAllocationRatio,
                    i.memoryBytes(), i.labels(), i.hypervisor(), i.libvirtUri()));
        } else if (outcome instanceof NodeRoster.Updated updated && updated.changed() && !reg.info().ready()) {
            List<VmId> vms = placements.vmsOn(name);
            log.warn("node {} cannot reach its hypervisor; {} VM(s) there are Unknown", name, vms.size());
            String requestId = RequestIds.NODE + "not-ready-" + shortId();
            vms.forEach(vm -> toVm.accept(vm, new VmCommand.NodeNotReady(requestId, name)));
        }
        refresh(e);
    }

    void renew(NodeLease.Renew renew) {
        NodeLease.Answer answer = roster.renew(renew.node(), renew.session(), now());
        renew.replyTo().tell(answer);
        if (answer instanceof NodeLease.Granted) {
            roster.entry(renew.node()).ifPresent(e -> {
                if (e.state != State.Ready) {
                    refresh(e);
                }
            });
        }
    }

    /** Every few hundred milliseconds: declare lost the nodes whose lease surely expired, and refresh readiness. */
    void checkLeases() {
        long now = now();
        for (Entry e : roster.expire(now, Instant.now())) {
            lose(e);
        }
        for (Entry e : roster.entries()) {
            refresh(e);
        }
    }

    private void lose(Entry e) {
        Map<VmId, Long> vms = placements.removeNode(e.name);
        e.lostVms.putAll(vms);
        e.voidBefore = mailboxes.nextSequence();
        mailboxes.remove(e.name);
        NodeRoster.Timing timing = roster.timing();
        String reason = "no lease renewal for " + timing.ttl().plus(timing.margin()).toMillis() + " ms (lease "
                + timing.ttl().toMillis() + " ms + " + timing.margin().toMillis() + " ms for its watchdog to fence)";
        log.warn("node {} lost: {}; {} VM(s) were placed there: {}", e.name, reason, vms.size(), vms.keySet());
        String requestId = RequestIds.NODE + "lost-" + shortId();
        record(new NodeEvent.NodeLost(meta(requestId), e.name, reason,
                vms.keySet().stream().map(VmId::entityId).toList()));
        vms.keySet().forEach(vm -> toVm.accept(vm, new VmCommand.LoseNode(requestId, e.name)));
    }

    /** Sets the entry's readiness, offers its capacity to placement accordingly, and records the change. */
    private void refresh(Entry e) {
        State before = e.state;
        boolean changed = roster.refreshReadiness(e, now());
        if (e.info != null && e.state != State.Lost) {
            placements.upsertNode(e.info.withCpus(e.info.cpus() * cpuAllocationRatio)
                    .withReady(e.state == State.Ready));
        }
        if (!changed) {
            return;
        }
        if (e.state == State.Ready) {
            if (before == State.NotReady && logged.remove(e.name + "|notready") != null) {
                log.info("node {} is ready again", e.name);
                record(new NodeEvent.NodeReady(meta(RequestIds.NODE + "ready-" + shortId()), e.name));
            }
            capacityFreed.run();
        } else if (e.state == State.NotReady && before == State.Ready) {
            logged.put(e.name + "|notready", true);
            log.warn("node {} is not ready: {}", e.name, e.notReadyReason);
            record(new NodeEvent.NodeNotReady(meta(RequestIds.NODE + "not-ready-" + shortId()), e.name, e.notReadyReason));
        }
    }

    /** Which of the domains a node holds are still its own: never those it had when it was lost; else the VMs say. */
    void reconcile(NodeLease.Reconcile r) {
        Entry e = roster.entry(r.node()).orElse(null);
        if (e == null || !r.session().equals(e.session) || e.state == State.Lost) {
            r.replyTo().tell(NodeLease.Ownership.refused("this node runtime holds no lease of node " + r.node()
                    + "; it registers and renews first"));
            return;
        }
        Map<NodeLease.Held, CompletableFuture<Boolean>> asked = new LinkedHashMap<>();
        for (NodeLease.Held held : r.held()) {
            Long lostIncarnation = e.lostVms.get(held.vm());
            if (lostIncarnation != null && lostIncarnation >= held.incarnation()) {
                asked.put(held, CompletableFuture.completedFuture(false));
                continue;
            }
            asked.put(held, vmState.apply(held.vm()).toCompletableFuture()
                    .orTimeout(OWNERSHIP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(state -> state.ownsDomain(r.node(), held.incarnation()))
                    .exceptionally(failure -> null));
        }
        CompletableFuture<Map<NodeLease.Held, Boolean>> all = CompletableFuture
                .allOf(asked.values().toArray(CompletableFuture[]::new))
                .thenApply(done -> {
                    Map<NodeLease.Held, Boolean> answers = new LinkedHashMap<>();
                    asked.forEach((held, answer) -> answers.put(held, answer.join()));
                    return answers;
                });
        context.pipeToSelf(all, (answers, failure) -> new Scheduler.OwnershipDecided(r, answers));
    }

    void ownershipDecided(Scheduler.OwnershipDecided decided) {
        NodeLease.Reconcile r = decided.reconcile();
        Entry e = roster.entry(r.node()).orElse(null);
        if (e == null || !r.session().equals(e.session) || e.state == State.Lost || decided.answers() == null) {
            r.replyTo().tell(NodeLease.Ownership.refused("node " + r.node() + " was lost while it asked; it asks again"));
            return;
        }
        List<NodeLease.Held> owned = new ArrayList<>();
        List<NodeLease.Held> notOwned = new ArrayList<>();
        List<NodeLease.Held> unknown = new ArrayList<>();
        decided.answers().forEach((held, mine) -> (mine == null ? unknown : mine ? owned : notOwned).add(held));
        long voidBefore = e.voidBefore;
        e.voidBefore = 0;
        e.lostVms.clear();
        e.reconciled = true;
        log.info("node {} reconciles: {} domain(s) still its own, {} not ({}), {} unknown{}", r.node(), owned.size(),
                notOwned.size(), notOwned.stream().map(h -> h.vm() + "#" + h.incarnation()).toList(), unknown.size(),
                voidBefore > 0 ? "; it was declared lost meanwhile: what it was sent before is void" : "");
        r.replyTo().tell(new NodeLease.Ownership(owned, notOwned, unknown, voidBefore, false, null));
        toldMissing(r);
        refresh(e);
    }

    /**
     * A node runtime that reconciles (it started again) holds no domain of a VM migrating out of it: the domain left
     * (moved, or died) while no runtime there could say so, and the migration's own report died with the old runtime.
     * Nothing else would tell the VM: it is told the domain is missing there, and asks the target.
     */
    private void toldMissing(NodeLease.Reconcile r) {
        placements.migratingFrom(r.node()).forEach((vm, incarnation) -> {
            if (!holds(r, vm, incarnation)) {
                String requestId = RequestIds.NODE + r.node() + "-reconcile-" + shortId();
                log.info("{} migrates out of node {}, which reconciled without its domain (incarnation {}): the VM is"
                        + " told it is missing there [request {}]", vm, r.node(), incarnation, requestId);
                toVm.accept(vm, new VmCommand.ReportFromNode(requestId, new NodeReport.DomainMissing(vm, r.node(),
                        incarnation)));
            }
        });
        // A VM migrating into it whose incoming domain it does not hold: the PrepareMigration it was sent may have
        // died with the old runtime (or its answer did), and nothing would send it again. Before the source started
        // the move this ends the migration (the VM stays on its source); once started, the source's report decides
        // and the entity ignores this.
        placements.migratingInto(r.node()).forEach((vm, incarnation) -> {
            if (!holds(r, vm, incarnation)) {
                String requestId = RequestIds.NODE + r.node() + "-reconcile-" + shortId();
                log.info("{} migrates into node {}, which reconciled without its incoming domain (incarnation {}): "
                        + "the VM is told the preparation is lost [request {}]", vm, r.node(), incarnation, requestId);
                toVm.accept(vm, new VmCommand.ReportFromNode(requestId, new NodeReport.ActionFailed(vm, r.node(),
                        incarnation, NodeAction.PrepareMigration, "the node runtime of node " + r.node()
                        + " started again before the migration began: its preparation is lost")));
            }
        });
    }

    /**
     * The cluster member of the node runtime a restart replaced is dead (killed, crashed, frozen): it is downed now
     * instead of after the split-brain resolver's {@code stable-after}. Left unreachable, its last observations (the
     * members it had marked unreachable before it died) make it "indirectly connected", and two such members at once
     * made the resolver down every member, the control plane included (the randomized migration test, with node
     * runtimes killed a few seconds apart). Only a member on another address than the new runtime's is downed.
     */
    private void downReplacedMember(String node, String previousAddress, String newAddress) {
        if (previousAddress == null || previousAddress.equals(newAddress)) {
            return;
        }
        Address previous;
        Cluster cluster;
        try {
            previous = AddressFromURIString.parse(previousAddress);
            cluster = Cluster.get(context.getSystem());
        } catch (RuntimeException notAClusterMember) {
            return;
        }
        if (previous.host().isEmpty()) {
            return; // a runtime of this JVM's own
        }
        boolean stillMember = StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
                .anyMatch(m -> m.address().equals(previous));
        if (stillMember) {
            log.info("node {}: downing the cluster member {} of the node runtime it replaced", node, previous);
            cluster.manager().tell(new Down(previous));
        }
    }

    /** Whether the reconciling node runtime holds the domain of {@code vm} under {@code incarnation}. */
    private static boolean holds(NodeLease.Reconcile r, VmId vm, long incarnation) {
        return r.held().stream().anyMatch(h -> h.vm().equals(vm) && h.incarnation() == incarnation);
    }

    /** @return the node after the change; null when no such node is known */
    NodeView cordon(String node, boolean cordon, String requestId, String principal) {
        if (roster.entry(node).isEmpty() && !logState.nodes().containsKey(node)) {
            return null;
        }
        if (placements.isCordoned(node) != cordon) {
            placements.cordon(node, cordon);
            EventMeta meta = new EventMeta(Instant.now(), requestId, principal);
            record(cordon ? new NodeEvent.NodeCordoned(meta, node) : new NodeEvent.NodeUncordoned(meta, node));
            log.info("node {} {} by {} [request {}]", node, cordon ? "cordoned: it takes no new VMs"
                    : "uncordoned: it takes new VMs again", principal, requestId);
            if (!cordon) {
                capacityFreed.run();
            }
        }
        return views().stream().filter(v -> v.name().equals(node)).findFirst()
                .orElse(new NodeView(node, "Lost", "not registered", false, cordon, null, null, null, null, Map.of(),
                        new NodeView.Resources(0, 0), new NodeView.Resources(0, 0), List.of(), null, List.of()));
    }

    List<NodeView> views() {
        List<NodeView> views = new ArrayList<>();
        for (Entry e : roster.entries()) {
            NodeInfo i = e.info;
            NodeView.Resources capacity = i == null ? new NodeView.Resources(0, 0)
                    : new NodeView.Resources(i.cpus() * cpuAllocationRatio, i.memoryBytes());
            views.add(new NodeView(e.name, e.state.name(), e.state == State.Ready ? null : e.notReadyReason,
                    e.state == State.Ready, placements.isCordoned(e.name), i == null ? null : i.hypervisor(),
                    i == null ? null : i.libvirtUri(), i == null ? null : i.virtualization(), e.address,
                    i == null ? Map.of() : i.labels(), capacity, placements.allocated(e.name),
                    placements.vmsOn(e.name).stream().map(VmId::entityId).toList(),
                    i == null ? null : i.images().directory(), i == null ? List.of() : i.images().files()));
        }
        return views;
    }

    Map<String, ActorRef<NodeConsole.Read>> consoles() {
        Map<String, ActorRef<NodeConsole.Read>> consoles = new HashMap<>();
        roster.entries().forEach(e -> {
            if (e.console != null && e.state != State.Lost) {
                consoles.put(e.name, e.console);
            }
        });
        return consoles;
    }

    private void record(NodeEvent event) {
        nodeLog.tell(new NodeLog.Record(event));
        logState = logState.apply(event);
    }

    private static EventMeta meta(String requestId) {
        return new EventMeta(Instant.now(), requestId, EventMeta.SCHEDULER);
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }
}
