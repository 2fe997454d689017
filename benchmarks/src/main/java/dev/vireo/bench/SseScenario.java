package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * S subscribers on the live event stream while VMs are created at a steady pace. Latency per event and
 * subscriber: the client's wall clock at arrival minus the event's timestamp. Client and server share
 * one machine and clock; the timestamp is taken when the entity decides, just before it persists, so
 * this is "decided -> persisted -> polled -> sent -> parsed by the client".
 */
final class SseScenario {

    record Result(Latencies latencies, int subscribers, int events) {
    }

    static Result run(ApiClient api, int subscribers, int events, double eventsPerSecond) throws Exception {
        String ns = "sse";
        ObjectMapper json = new ObjectMapper();
        Queue<Double> latencies = new ConcurrentLinkedQueue<>();
        CountDownLatch attached = new CountDownLatch(subscribers);
        List<ApiClient.Subscription> streams = new ArrayList<>();
        for (int s = 0; s < subscribers; s++) {
            AtomicBoolean first = new AtomicBoolean(true);
            streams.add(api.subscribe("?namespace=" + ns, data -> {
                Instant now = Instant.now();
                try {
                    JsonNode e = json.readTree(data);
                    if (e.get("name").asText().startsWith("warmup")) {
                        if (first.getAndSet(false)) {
                            attached.countDown();
                        }
                        return;
                    }
                    latencies.add(Duration.between(Instant.parse(e.get("timestamp").asText()), now).toNanos() / 1e6);
                } catch (Exception ex) {
                    throw new IllegalStateException("bad event: " + data, ex);
                }
            }));
        }
        // warm-up events until every subscriber has one: then all are attached to the live stream
        for (int i = 0; !attached.await(200, TimeUnit.MILLISECONDS); i++) {
            if (i > 300) {
                throw new IllegalStateException(attached.getCount() + " SSE subscribers never got an event");
            }
            api.create(ns, "warmup-" + i, "Halted").get();
        }
        for (int i = 0; i < 20; i++) {
            api.create(ns, "warmup-late-" + i, "Halted").get();
        }
        Thread.sleep(1000);
        latencies.clear();
        long pause = (long) (1e9 / eventsPerSecond);
        long next = System.nanoTime();
        for (int i = 0; i < events; i++) {
            api.create(ns, "vm-" + i, "Halted");
            next += pause;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (latencies.size() < (long) subscribers * events && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        streams.forEach(ApiClient.Subscription::close);
        if (latencies.size() < (long) subscribers * events) {
            throw new IllegalStateException("SSE: only " + latencies.size() + " of " + subscribers * events
                    + " deliveries arrived within 30 s");
        }
        return new Result(Latencies.of(latencies), subscribers, events);
    }
}
