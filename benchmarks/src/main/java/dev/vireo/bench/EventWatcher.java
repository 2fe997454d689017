package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;

/**
 * Follows the event stream of one namespace and completes a future when a VM's event of a given type
 * arrives: the client-side "it happened" for latency measurements.
 */
final class EventWatcher {

    private final ObjectMapper json = new ObjectMapper();
    private final Map<String, List<Waiter>> waiters = new ConcurrentHashMap<>();
    private final ApiClient.Subscription stream;

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
            // completed off the reader thread: waiters go on to register new waiters and send requests
            arrived.forEach(w -> ForkJoinPool.commonPool().execute(() -> w.arrived().complete(now)));
        } catch (Exception ex) {
            throw new IllegalStateException("bad event: " + data, ex);
        }
    }

    void close() {
        stream.close();
    }
}
