package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ForkJoinPool;

/**
 * Follows the event stream of one namespace and completes a future when a VM's event of a given type
 * arrives: the client-side "it happened" for latency measurements.
 */
final class EventWatcher {

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
    private final ApiClient.Subscription stream;
    /** Per awaited event: its arrival at this client minus its timestamp (when the entity decided it), in ms. */
    private final Collection<Double> streamDelays = new ConcurrentLinkedQueue<>();

    private record Waiter(String type, CompletableFuture<Long> arrived) {
    }

    EventWatcher(ApiClient api, String namespace) {
        this.stream = api.subscribe("?since=0&namespace=" + namespace, this::onData);
    }

    /** Completes with System.nanoTime() at arrival of the next {@code type} event of VM {@code name}. */
    CompletableFuture<Long> next(String name, String type) {
        CompletableFuture<Long> f = new CompletableFuture<>();
        waiters.computeIfAbsent(name, n -> new ArrayList<>());
        synchronized (waiters.get(name)) {
            waiters.get(name).add(new Waiter(type, f));
        }
        return f;
    }

    private void onData(String data) {
        long now = System.nanoTime();
        Instant arrival = Instant.now();
        try {
            JsonNode e = json.readTree(data);
            List<Waiter> list = waiters.get(e.get("name").asText());
            if (list == null) {
                return;
            }
            String type = e.get("type").asText();
            List<Waiter> arrived = new ArrayList<>();
            synchronized (list) {
                list.removeIf(w -> w.type().equals(type) && arrived.add(w));
            }
            if (!arrived.isEmpty()) {
                streamDelays.add(Duration.between(Instant.parse(e.get("timestamp").asText()), arrival).toNanos() / 1e6);
            }
            // completed off the reader thread: waiters go on to register new waiters and send requests
            arrived.forEach(w -> ForkJoinPool.commonPool().execute(() -> w.arrived().complete(now)));
        } catch (Exception ex) {
            throw new IllegalStateException("bad event: " + data, ex);
        }
    }

    /**
     * From decision to arrival for the events awaited so far: how much of a latency is the stream's (the
     * event's persist and force, the tail's read, the delivery) rather than the work before the decision.
     */
    Latencies streamDelays() {
        return Latencies.of(streamDelays);
    }

    void close() {
        stream.close();
    }
}
