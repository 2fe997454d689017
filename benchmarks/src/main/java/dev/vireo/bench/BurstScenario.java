package dev.vireo.bench;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** N VMs created through the API at once; latency from the POST to the client seeing DomainStarted. */
final class BurstScenario {

    record Result(Latencies latencies, Latencies streamDelays, double seconds, long events) {
    }

    static Result run(ApiClient api, String namespace, int vms) throws Exception {
        EventWatcher watcher = new EventWatcher(api, namespace);
        Thread.sleep(300); // let the subscription attach
        long eventsBefore = api.metric("vireo_events_persisted_total");
        List<CompletableFuture<Double>> latencies = new ArrayList<>();
        long start = System.nanoTime();
        for (int i = 0; i < vms; i++) {
            String name = "vm-" + i;
            CompletableFuture<Long> running = watcher.next(name, "DomainStarted");
            long sent = System.nanoTime();
            CompletableFuture<HttpResponse<String>> created = api.create(namespace, name, "Always");
            latencies.add(created.thenCompose(r -> {
                if (r.statusCode() != 201) {
                    throw new IllegalStateException("create " + name + ": " + r.statusCode() + " " + r.body());
                }
                return running;
            }).thenApply(at -> (at - sent) / 1e6));
        }
        CompletableFuture.allOf(latencies.toArray(CompletableFuture[]::new)).get(5, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - start) / 1e9;
        long events = api.metric("vireo_events_persisted_total") - eventsBefore;
        watcher.close();
        return new Result(Latencies.of(latencies.stream().map(CompletableFuture::join).toList()), watcher.streamDelays(),
                seconds, events);
    }
}
