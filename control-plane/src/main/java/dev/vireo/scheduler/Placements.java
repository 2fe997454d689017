package dev.vireo.scheduler;

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

    sealed interface Outcome {
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

    /** Forgets a node; returns the VMs that were placed on it, with the incarnation of their placement. */
    Map<VmId, Long> removeNode(String node) {
        nodes.remove(node);
        Map<VmId, Long> lost = new TreeMap<>();
        reservations.forEach((vm, r) -> {
            if (r.node().equals(node)) {
                lost.put(vm, r.incarnation());
            }
        });
        lost.keySet().forEach(this::unreserve);
        return lost;
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
        used.computeIfAbsent(reservation.node(), n -> new long[3]);
        used.get(reservation.node())[0] += reservation.cores();
        used.get(reservation.node())[1] += reservation.memoryBytes();
        used.get(reservation.node())[2]++;
    }

    private void unreserve(VmId vm) {
        Reservation gone = reservations.remove(vm);
        if (gone != null) {
            used.get(gone.node())[0] -= gone.cores();
            used.get(gone.node())[1] -= gone.memoryBytes();
            used.get(gone.node())[2]--;
        }
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
