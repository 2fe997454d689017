package dev.vireo.api;

import dev.vireo.metrics.VireoMetrics;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.JournalForce;
import dev.vireo.scheduler.NodeView;
import dev.vireo.scheduler.Scheduler;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** Nodes, health, readiness and Prometheus metrics. */
final class StatusRoutes extends AllDirectives {

    private final ActorSystem<?> system;
    private final ActorRef<Scheduler.Command> scheduler;
    private final VireoMetrics metrics;
    private final Duration timeout;

    StatusRoutes(ActorSystem<?> system, ActorRef<Scheduler.Command> scheduler, VireoMetrics metrics, Duration timeout) {
        this.system = system;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.timeout = timeout;
    }

    CompletionStage<List<NodeView>> nodes() {
        return AskPattern.<Scheduler.Command, Scheduler.NodeList>ask(scheduler, Scheduler.GetNodes::new, timeout,
                system.scheduler()).thenApply(Scheduler.NodeList::items);
    }

    /** The nodes and where each one's consoles are read. */
    CompletionStage<Scheduler.NodeList> nodeList() {
        return AskPattern.<Scheduler.Command, Scheduler.NodeList>ask(scheduler, Scheduler.GetNodes::new, timeout,
                system.scheduler());
    }

    /** Cordons or uncordons {@code node}; completes with null when there is no such node. */
    CompletionStage<NodeView> cordon(String node, boolean cordon, String requestId, String principal) {
        return AskPattern.<Scheduler.Command, Scheduler.NodeAnswer>ask(scheduler,
                replyTo -> new Scheduler.SetCordon(node, cordon, requestId, principal, replyTo), timeout,
                system.scheduler()).thenApply(Scheduler.NodeAnswer::node);
    }

    Route healthRoutes() {
        return concat(
                path("healthz", () -> get(() -> complete(ApiResponses.json(StatusCodes.OK, Map.of("status", "ok"))))),
                path("readyz", () -> get(() -> completeWithFuture(readiness()))));
    }

    /** {@code GET /metrics}, Prometheus' text format (behind authentication: it says how busy Vireo is). */
    Route metricsRoute() {
        return get(() -> completeWithFuture(nodes()
                .exceptionally(e -> List.of())
                .thenApply(nodes -> HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, prometheus(nodes)))));
    }

    /** Ready: this member is Up in the cluster, the journal answers, and at least one node is Ready. */
    private CompletionStage<HttpResponse> readiness() {
        boolean up = Cluster.get(system).selfMember().status() == MemberStatus.up();
        CompletableFuture<Boolean> journal = EventLog.get(system).answers().toCompletableFuture();
        return journal.thenCombine(nodes().toCompletableFuture().exceptionally(e -> List.of()), (journalOk, nodes) -> {
            long readyNodes = nodes.stream().filter(NodeView::ready).count();
            boolean ready = up && journalOk && readyNodes > 0;
            Map<String, Object> body = Map.of("status", ready ? "ready" : "not ready", "clusterMemberUp", up,
                    "journal", journalOk, "nodes", nodes.size(), "readyNodes", readyNodes);
            return ApiResponses.json(ready ? StatusCodes.OK : StatusCodes.SERVICE_UNAVAILABLE, body);
        });
    }

    private String prometheus(List<NodeView> nodes) {
        StringBuilder sb = new StringBuilder();
        sb.append("# HELP vireo_events_persisted_total VM events persisted by this process.\n");
        sb.append("# TYPE vireo_events_persisted_total counter\n");
        sb.append("vireo_events_persisted_total ").append(metrics.eventsPersisted()).append('\n');
        JournalForce.Counts forced = JournalForce.get(system).counts();
        sb.append("# HELP vireo_journal_forces_total Forces (fsync) of the journal file; each covers the writes"
                + " that committed before it began (group commit).\n");
        sb.append("# TYPE vireo_journal_forces_total counter\n");
        sb.append("vireo_journal_forces_total ").append(forced.forces()).append('\n');
        sb.append("# HELP vireo_journal_forced_events_total Events (of VMs, nodes and sharding) acknowledged after a"
                + " force: divided by the forces, the events one force covers.\n");
        sb.append("# TYPE vireo_journal_forced_events_total counter\n");
        sb.append("vireo_journal_forced_events_total ").append(forced.eventsForced()).append('\n');
        sb.append("# HELP vireo_commands_refused_total Commands refused (invalid, not found, illegal transition).\n");
        sb.append("# TYPE vireo_commands_refused_total counter\n");
        sb.append("vireo_commands_refused_total ").append(metrics.commandsRefused()).append('\n');
        sb.append("# HELP vireo_vm_recoveries_total VM entities rebuilt from their log by this process (a restart"
                + " recovers every VM: compare with the count of VMs to follow it).\n");
        sb.append("# TYPE vireo_vm_recoveries_total counter\n");
        sb.append("vireo_vm_recoveries_total ").append(metrics.vmsRecovered()).append('\n');
        sb.append("# HELP vireo_http_responses_total HTTP responses by status code.\n");
        sb.append("# TYPE vireo_http_responses_total counter\n");
        metrics.httpResponses().forEach((code, count) ->
                sb.append("vireo_http_responses_total{code=\"").append(code).append("\"} ").append(count.sum()).append('\n'));
        sb.append("# HELP vireo_nodes Known nodes.\n# TYPE vireo_nodes gauge\n");
        sb.append("vireo_nodes ").append(nodes.size()).append('\n');
        sb.append("# HELP vireo_node_ready Whether a node takes new VMs (1) or not (0: NotReady or Lost).\n");
        sb.append("# TYPE vireo_node_ready gauge\n");
        nodes.forEach(n -> sb.append("vireo_node_ready{node=\"").append(n.name()).append("\",state=\"")
                .append(n.state()).append("\"} ").append(n.ready() ? 1 : 0).append('\n'));
        sb.append("# HELP vireo_node_virtual_machines VMs placed on a node.\n# TYPE vireo_node_virtual_machines gauge\n");
        nodes.forEach(n -> sb.append("vireo_node_virtual_machines{node=\"").append(n.name()).append("\"} ")
                .append(n.virtualMachines().size()).append('\n'));
        sb.append("# HELP vireo_node_cpus_allocated vCPUs reserved on a node.\n# TYPE vireo_node_cpus_allocated gauge\n");
        nodes.forEach(n -> sb.append("vireo_node_cpus_allocated{node=\"").append(n.name()).append("\"} ")
                .append(n.allocated().cpus()).append('\n'));
        sb.append("# HELP vireo_node_memory_allocated_bytes Memory reserved on a node.\n");
        sb.append("# TYPE vireo_node_memory_allocated_bytes gauge\n");
        nodes.forEach(n -> sb.append("vireo_node_memory_allocated_bytes{node=\"").append(n.name()).append("\"} ")
                .append(n.allocated().memoryBytes()).append('\n'));
        sb.append("# HELP jvm_heap_used_bytes Heap in use.\n# TYPE jvm_heap_used_bytes gauge\n");
        sb.append("jvm_heap_used_bytes ").append(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed())
                .append('\n');
        return sb.toString();
    }
}
