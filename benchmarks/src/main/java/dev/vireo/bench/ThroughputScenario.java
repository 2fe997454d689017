package dev.vireo.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sustained start/stop cycles over many running VMs: each VM is stopped, waits for DomainStopped,
 * is started, waits for DomainStarted, and again, for a fixed time. Counts transitions (a domain
 * started or stopped) and the events the server persisted meanwhile.
 */
final class ThroughputScenario {

    record Result(double transitionsPerSecond, double eventsPerSecond, long transitions, long events, double seconds) {
    }

    static Result run(ApiClient api, String namespace, int vms, double seconds) throws Exception {
        EventWatcher watcher = new EventWatcher(api, namespace);
        Thread.sleep(300);
        AtomicLong transitions = new AtomicLong();
        long eventsBefore = api.metric("vireo_events_persisted_total");
        long deadline = System.nanoTime() + (long) (seconds * 1e9);
        long start = System.nanoTime();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int i = 0; i < vms; i++) {
            loops.add(cycle(api, watcher, namespace, "vm-" + i, deadline, transitions));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        double elapsed = (System.nanoTime() - start) / 1e9;
        long events = api.metric("vireo_events_persisted_total") - eventsBefore;
        watcher.close();
        return new Result(transitions.get() / elapsed, events / elapsed, transitions.get(), events, elapsed);
    }

    private static CompletableFuture<Void> cycle(ApiClient api, EventWatcher watcher, String ns, String name,
                                                 long deadline, AtomicLong transitions) {
        if (System.nanoTime() >= deadline) {
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Long> stopped = watcher.next(name, "DomainStopped");
        return api.action(ns, name, "stop").thenCompose(r -> stopped).thenCompose(t -> {
            transitions.incrementAndGet();
            CompletableFuture<Long> started = watcher.next(name, "DomainStarted");
            return api.action(ns, name, "start").thenCompose(r -> started);
        }).thenCompose(t -> {
            transitions.incrementAndGet();
            return cycle(api, watcher, ns, name, deadline, transitions);
        });
    }
}
