package dev.vireo.scheduler;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.vm.VmId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The scheduler's books: nodes, reservations (one per VM: its current placement) and the requests waiting
 * for capacity, oldest first. Plain code, so that placement can be tested without actors.
 */
final class Placements {

    sealed interface Outcome permits Placed, Waiting, Queued {
    }

    record Placed(String node) implements Outcome {
    }

    record Waiting(String reason) implements Outcome {
    }

    record Retried(VmId vm, String node, long incarnation, String requestId) {
    }

    private record Reservation(String node, long incarnation, int cores, long memoryBytes) {
    }

    private record Request(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> selector,
                           List<String> files, String requestId) {
    }

    private final Map<String, NodeInfo> nodes = new TreeMap<>();
    private final java.util.Set<String> cordoned = new java.util.HashSet<>();
    private final Map<VmId, Reservation> reservations = new HashMap<>();
    /** Per VM, the target reserved for its live migration in flight (its capacity counts on the target node). */
    private final Map<VmId, Target> targets = new HashMap<>();

    private record Target(String migrationId, String source, Reservation reservation) {
    }

    /** A request for a migration target, as asked. */
    record TargetRequest(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                         long memoryBytes, Map<String, String> selector, List<String> files, String requestId) {
    }

    /** A queued request that has now been answered. */
    record Dequeued(TargetRequest request, Outcome outcome) {
    }

    /** The request waits for a migration to end: too many are in flight. */
    record Queued(String reason) implements Outcome {
    }

    private Scheduler.MigrationLimits limits = Scheduler.MigrationLimits.DEFAULT;
    private final LinkedHashMap<VmId, TargetRequest> migrationQueue = new LinkedHashMap<>();

    void limitMigrations(Scheduler.MigrationLimits limits) {
        this.limits = limits;
    }
    private final LinkedHashMap<VmId, Request> waiting = new LinkedHashMap<>();
    /** node -> {cores, memory bytes, VMs} reserved there: placement reads it per node instead of summing all reservations. */
    private final Map<String, long[]> used = new HashMap<>();

    void upsertNode(NodeInfo info) {
        nodes.put(info.name(), info);
    }

    /** A cordoned node gets no new VMs; those it has stay. */
    void cordon(String node, boolean cordon) {
        if (cordon) {
            cordoned.add(node);
        } else {
            cordoned.remove(node);
        }
    }

    boolean isCordoned(String node) {
        return cordoned.contains(node);
    }

    /**
     * Forgets a node; returns the VMs that were placed on it (or were migrating to it), with the incarnation of their
     * placement there.
     */
    Map<VmId, Long> removeNode(String node) {
        nodes.remove(node);
        Map<VmId, Long> lost = new TreeMap<>();
        reservations.forEach((vm, r) -> {
            if (r.node().equals(node)) {
                lost.put(vm, r.incarnation());
            }
        });
        lost.keySet().forEach(this::unreserve);
        Map<VmId, Long> targeted = new TreeMap<>();
        targets.forEach((vm, t) -> {
            if (t.reservation().node().equals(node)) {
                targeted.put(vm, t.reservation().incarnation());
            }
        });
        targeted.forEach((vm, incarnation) -> releaseTarget(vm, targets.get(vm).migrationId()));
        lost.putAll(targeted);
        return lost;
    }

    // ---- live migration targets ----

    /**
     * Reserves a target for migration {@code migrationId} of {@code vm}, which runs on {@code source}: {@code node}
     * if given (and only it), else the least loaded node that fits, holds the same base images as the source and is
     * not the source. Asked again for the same migration, gives the same answer.
     */
    Outcome reserveTarget(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                          long memoryBytes, Map<String, String> selector, List<String> files) {
        return reserveTarget(new TargetRequest(vm, migrationId, source, node, incarnation, cores, memoryBytes, selector,
                files, null));
    }

    /** As above; a request over the limits of migrations in flight is queued (and answered by {@link #dequeue}). */
    Outcome reserveTarget(TargetRequest r) {
        Target held = targets.get(r.vm());
        if (held != null && held.migrationId().equals(r.migrationId())) {
            return new Placed(held.reservation().node());
        }
        if (held != null) {
            releaseTarget(r.vm(), held.migrationId());
        }
        TargetRequest queued = migrationQueue.get(r.vm());
        if (queued != null && !queued.migrationId().equals(r.migrationId())) {
            migrationQueue.remove(r.vm()); // an older request of the VM's, given up
        }
        String busy = overLimits(r.source());
        if (busy != null) {
            migrationQueue.put(r.vm(), r);
            return new Queued(busy);
        }
        migrationQueue.remove(r.vm());
        return choose(r.vm(), r.migrationId(), r.source(), r.node(), r.incarnation(), r.cores(), r.memoryBytes(),
                r.selector(), r.files());
    }

    /** Why no more migration may start out of {@code source} now; null when one may. */
    private String overLimits(String source) {
        if (targets.size() >= limits.perCluster()) {
            return targets.size() + " migrations in flight in the cluster (at most " + limits.perCluster() + ")";
        }
        long out = targets.values().stream().filter(t -> t.source().equals(source)).count();
        if (out >= limits.perNode()) {
            return out + " migrations in flight out of node " + source + " (at most " + limits.perNode() + ")";
        }
        return null;
    }

    /** Answers the queued requests that may start now, oldest first. */
    List<Dequeued> dequeue() {
        List<Dequeued> answered = new ArrayList<>();
        for (TargetRequest r : new ArrayList<>(migrationQueue.values())) {
            if (overLimits(r.source()) == null) {
                migrationQueue.remove(r.vm());
                answered.add(new Dequeued(r, choose(r.vm(), r.migrationId(), r.source(), r.node(), r.incarnation(),
                        r.cores(), r.memoryBytes(), r.selector(), r.files())));
            }
        }
        return answered;
    }

    int queuedMigrations() {
        return migrationQueue.size();
    }

    private Outcome choose(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                           long memoryBytes, Map<String, String> selector, List<String> files) {
        List<String> needed = files == null ? List.of() : files;
        Optional<String> chosen;
        if (node != null) {
            String why = whyNotTarget(source, node, cores, memoryBytes, selector, needed);
            if (why != null) {
                return new Waiting(why);
            }
            chosen = Optional.of(node);
        } else {
            chosen = nodes.values().stream()
                    .filter(n -> !n.name().equals(source))
                    .filter(n -> whyNotTarget(source, n.name(), cores, memoryBytes, selector, needed) == null)
                    .min(Comparator.comparingDouble(this::load).thenComparingLong(n -> vmCount(n.name()))
                            .thenComparing(NodeInfo::name))
                    .map(NodeInfo::name);
        }
        if (chosen.isEmpty()) {
            StringBuilder why = new StringBuilder("no node other than ").append(source).append(" can take it:");
            nodes.keySet().stream().filter(n -> !n.equals(source)).forEach(n -> why.append(' ')
                    .append(whyNotTarget(source, n, cores, memoryBytes, selector, needed)).append(';'));
            return new Waiting(nodes.size() <= 1 ? "no node other than " + source + " has registered" : why.toString());
        }
        Reservation reservation = new Reservation(chosen.get(), incarnation, cores, memoryBytes);
        targets.put(vm, new Target(migrationId, source, reservation));
        count(reservation, 1);
        return new Placed(chosen.get());
    }

    /**
     * Why {@code node} cannot be the target of a VM running on {@code source}: unknown, the source itself, not
     * ready, cordoned, another nodeSelector, no room, or base images missing or different from the source's; null
     * when it can.
     */
    String whyNotTarget(String source, String node, int cores, long memoryBytes, Map<String, String> selector,
                        List<String> files) {
        NodeInfo n = nodes.get(node);
        if (n == null) {
            return "node " + node + " is unknown";
        }
        if (node.equals(source)) {
            return "node " + node + " is where it runs already";
        }
        if (!n.ready()) {
            return "node " + node + " is not ready";
        }
        if (cordoned.contains(node)) {
            return "node " + node + " is cordoned; uncordon it or choose another node";
        }
        if (!matches(n, selector)) {
            return "node " + node + " does not match the VM's nodeSelector " + selector;
        }
        if (n.cpus() - usedCores(node) < cores || n.memoryBytes() - usedMemory(node) < memoryBytes) {
            return "node " + node + " has " + (n.cpus() - usedCores(node)) + " vCPU(s) and "
                    + ((n.memoryBytes() - usedMemory(node)) >> 20) + " MiB free, the VM needs " + cores + " and "
                    + (memoryBytes >> 20) + " MiB";
        }
        NodeInfo from = nodes.get(source);
        for (String file : files) {
            Optional<NodeImages.ImageFile> there = n.images().file(file);
            if (there.isEmpty()) {
                return "node " + node + " does not hold " + file + " in its images directory; copy the same file there";
            }
            Optional<NodeImages.ImageFile> here = from == null ? Optional.empty() : from.images().file(file);
            if (here.isPresent() && (here.get().size() != there.get().size() || here.get().sha256() != null
                    && there.get().sha256() != null && !here.get().sha256().equals(there.get().sha256()))) {
                return "node " + node + "'s " + file + " differs from node " + source + "'s (size " + there.get().size()
                        + " vs " + here.get().size() + ", sha256 " + there.get().sha256() + " vs " + here.get().sha256()
                        + "): the guest's disk is an overlay on it, so both must be the same file";
            }
        }
        return null;
    }

    /**
     * A VM recovered mid-migration holds target {@code node} for migration {@code migrationId}: its capacity is
     * reserved again (even past the limits: the migration is already in flight), replacing whatever the VM held or
     * queued for another migration. Returns true if it was not held yet.
     */
    boolean claimTarget(VmId vm, String migrationId, String source, String node, long incarnation, int cores,
                        long memoryBytes) {
        Target held = targets.get(vm);
        if (held != null && held.migrationId().equals(migrationId)) {
            return false;
        }
        if (held != null) {
            releaseTarget(vm, held.migrationId());
        }
        migrationQueue.remove(vm);
        Reservation reservation = new Reservation(node, incarnation, cores, memoryBytes);
        targets.put(vm, new Target(migrationId, source, reservation));
        count(reservation, 1);
        return true;
    }

    /** The VMs migrating out of {@code node}, each with the incarnation of its placement there. */
    Map<VmId, Long> migratingFrom(String node) {
        Map<VmId, Long> from = new TreeMap<>();
        targets.forEach((vm, t) -> {
            Reservation source = reservations.get(vm);
            if (t.source().equals(node) && source != null && source.node().equals(node)) {
                from.put(vm, source.incarnation());
            }
        });
        return from;
    }

    /** The VMs migrating into {@code node}, each with the incarnation reserved for it there. */
    Map<VmId, Long> migratingInto(String node) {
        Map<VmId, Long> into = new TreeMap<>();
        targets.forEach((vm, t) -> {
            if (t.reservation().node().equals(node)) {
                into.put(vm, t.reservation().incarnation());
            }
        });
        return into;
    }

    /** Gives back the target of migration {@code migrationId} (or its place in the queue); true if capacity freed. */
    boolean releaseTarget(VmId vm, String migrationId) {
        TargetRequest queued = migrationQueue.get(vm);
        if (queued != null && queued.migrationId().equals(migrationId)) {
            migrationQueue.remove(vm);
        }
        Target held = targets.get(vm);
        if (held == null || !held.migrationId().equals(migrationId)) {
            return false;
        }
        targets.remove(vm);
        count(held.reservation(), -1);
        return true;
    }

    /** The migration completed: its target's reservation is the VM's placement now, the source's is given back. */
    void promoteTarget(VmId vm, String migrationId, String node, long incarnation, int cores, long memoryBytes) {
        releaseTarget(vm, migrationId);
        reserve(vm, new Reservation(node, incarnation, cores, memoryBytes));
    }

    Outcome place(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> selector,
                  String requestId) {
        return place(vm, incarnation, cores, memoryBytes, selector, List.of(), requestId);
    }

    /** Places the VM on the least loaded node that fits it and holds all its {@code files}, or says why none does. */
    Outcome place(VmId vm, long incarnation, int cores, long memoryBytes, Map<String, String> selector,
                  List<String> files, String requestId) {
        Reservation held = reservations.get(vm);
        if (held != null && held.incarnation() == incarnation) {
            return new Placed(held.node());
        }
        if (held != null && held.incarnation() < incarnation) {
            unreserve(vm); // an older placement the VM has moved on from
        }
        List<String> needed = files == null ? List.of() : files;
        Optional<String> node = bestFit(cores, memoryBytes, selector, needed);
        if (node.isPresent()) {
            waiting.remove(vm);
            reserve(vm, new Reservation(node.get(), incarnation, cores, memoryBytes));
            return new Placed(node.get());
        }
        waiting.put(vm, new Request(vm, incarnation, cores, memoryBytes, selector, needed, requestId));
        return new Waiting(whyNot(cores, memoryBytes, selector, needed));
    }

    void claim(VmId vm, String node, long incarnation, int cores, long memoryBytes) {
        Reservation held = reservations.get(vm);
        if (held == null || held.incarnation() <= incarnation) {
            reserve(vm, new Reservation(node, incarnation, cores, memoryBytes));
        }
    }

    /** Releases the reservation or withdraws the waiting request of that incarnation; true if capacity freed. */
    boolean release(VmId vm, long incarnation) {
        Request request = waiting.get(vm);
        if (request != null && request.incarnation() == incarnation) {
            waiting.remove(vm);
        }
        Reservation held = reservations.get(vm);
        if (held != null && held.incarnation() == incarnation) {
            unreserve(vm);
            return true;
        }
        return false;
    }

    /** Places what waits and now fits, oldest request first. */
    List<Retried> retryWaiting() {
        List<Retried> placed = new ArrayList<>();
        Iterator<Request> it = waiting.values().iterator();
        while (it.hasNext()) {
            Request r = it.next();
            Optional<String> node = bestFit(r.cores(), r.memoryBytes(), r.selector(), r.files());
            if (node.isPresent()) {
                it.remove();
                reserve(r.vm(), new Reservation(node.get(), r.incarnation(), r.cores(), r.memoryBytes()));
                placed.add(new Retried(r.vm(), node.get(), r.incarnation(), r.requestId()));
            }
        }
        return placed;
    }

    boolean holds(VmId vm, String node, long incarnation) {
        Reservation held = reservations.get(vm);
        return held != null && held.node().equals(node) && held.incarnation() == incarnation;
    }

    boolean isReady(String node) {
        NodeInfo info = nodes.get(node);
        return info != null && info.ready();
    }

    List<VmId> vmsOn(String node) {
        return reservations.entrySet().stream().filter(e -> e.getValue().node().equals(node)).map(Map.Entry::getKey)
                .sorted().toList();
    }

    int waitingCount() {
        return waiting.size();
    }

    List<NodeView> views() {
        List<NodeView> views = new ArrayList<>();
        for (NodeInfo n : nodes.values()) {
            views.add(new NodeView(n.name(), n.ready(), n.hypervisor(), n.virtualization(), n.labels(),
                    new NodeView.Resources(n.cpus(), n.memoryBytes()), allocated(n.name()),
                    vmsOn(n.name()).stream().map(VmId::entityId).toList()));
        }
        return views;
    }

    NodeView.Resources allocated(String node) {
        return new NodeView.Resources(usedCores(node), usedMemory(node));
    }

    /**
     * The least loaded fitting node: the lowest share of its vCPUs or memory (whichever is higher) already
     * reserved, then the fewest VMs, then the name. Spreads VMs over nodes of any size.
     */
    private Optional<String> bestFit(int cores, long memoryBytes, Map<String, String> selector, List<String> files) {
        return nodes.values().stream()
                .filter(n -> fits(n, cores, memoryBytes, selector, files))
                .min(Comparator.comparingDouble(this::load)
                        .thenComparingLong(n -> vmCount(n.name()))
                        .thenComparing(NodeInfo::name))
                .map(NodeInfo::name);
    }

    private double load(NodeInfo n) {
        double cpu = n.cpus() <= 0 ? 1 : (double) usedCores(n.name()) / n.cpus();
        double memory = n.memoryBytes() <= 0 ? 1 : (double) usedMemory(n.name()) / n.memoryBytes();
        return Math.max(cpu, memory);
    }

    private long vmCount(String node) {
        long[] total = used.get(node);
        return total == null ? 0 : total[2];
    }

    private boolean fits(NodeInfo n, int cores, long memoryBytes, Map<String, String> selector, List<String> files) {
        return n.ready() && !cordoned.contains(n.name()) && matches(n, selector)
                && n.cpus() - usedCores(n.name()) >= cores
                && n.memoryBytes() - usedMemory(n.name()) >= memoryBytes
                && n.images().holdsAll(files);
    }

    private static boolean matches(NodeInfo n, Map<String, String> selector) {
        return selector == null || selector.entrySet().stream()
                .allMatch(e -> e.getValue().equals(n.labels().get(e.getKey())));
    }

    private String whyNot(int cores, long memoryBytes, Map<String, String> selector, List<String> files) {
        if (nodes.isEmpty()) {
            return "no node has registered yet";
        }
        StringBuilder sb = new StringBuilder("no node fits ").append(cores).append(" vCPU(s) and ")
                .append(memoryBytes >> 20).append(" MiB");
        if (selector != null && !selector.isEmpty()) {
            sb.append(" with labels ").append(selector);
        }
        sb.append(":");
        for (NodeInfo n : nodes.values()) {
            sb.append(" node ").append(n.name()).append(' ');
            if (!n.ready()) {
                sb.append("is not ready;");
            } else if (cordoned.contains(n.name())) {
                sb.append("is cordoned;");
            } else if (!matches(n, selector)) {
                sb.append("does not match the nodeSelector;");
            } else if (!n.images().holdsAll(files)) {
                sb.append("does not hold ").append(files.stream().filter(f -> !n.images().holds(f)).toList())
                        .append(" in its images directory;");
            } else {
                sb.append("has ").append(n.cpus() - usedCores(n.name())).append(" vCPU(s) and ")
                        .append((n.memoryBytes() - usedMemory(n.name())) >> 20).append(" MiB free;");
            }
        }
        return sb.toString();
    }

    /** Every change of a reservation goes through here, so the per-node totals stay the sums of the reservations. */
    private void reserve(VmId vm, Reservation reservation) {
        unreserve(vm);
        reservations.put(vm, reservation);
        count(reservation, 1);
    }

    private void unreserve(VmId vm) {
        Reservation gone = reservations.remove(vm);
        if (gone != null) {
            count(gone, -1);
        }
    }

    /** Adds ({@code sign} 1) or takes away (-1) a reservation's share of its node's totals. */
    private void count(Reservation r, int sign) {
        long[] total = used.computeIfAbsent(r.node(), n -> new long[3]);
        total[0] += sign * (long) r.cores();
        total[1] += sign * r.memoryBytes();
        total[2] += sign;
    }

    private int usedCores(String node) {
        long[] total = used.get(node);
        return total == null ? 0 : (int) total[0];
    }

    private long usedMemory(String node) {
        long[] total = used.get(node);
        return total == null ? 0 : total[1];
    }
}
