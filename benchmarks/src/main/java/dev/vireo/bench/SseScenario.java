package dev.vireo.bench;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * S subscribers on the live event stream while VMs are created at a steady pace. Latency per event and
 * subscriber: the client's wall clock at arrival minus the event's timestamp. Client and server share
 * one machine and clock; the timestamp is taken when the entity decides, just before it persists, so
 * this is "decided -> persisted -> polled -> sent -> read by the client" (the client's time is taken at
 * the read, before parsing; see {@link SseSubscribers}).
 */
final class SseScenario {

    private static final JsonFactory JSON = new JsonFactory();

    record Result(Latencies latencies, int subscribers, int events) {
    }

    static Result run(ApiClient api, int subscribers, int events, double eventsPerSecond) throws Exception {
        String ns = "sse";
        Queue<Double> latencies = new ConcurrentLinkedQueue<>();
        CountDownLatch attached = new CountDownLatch(subscribers);
        boolean[] warmedUp = new boolean[subscribers]; // touched on the selector thread only
        // ApiClient keeps its base to itself: the URI of an answered request says where the server is
        URI server = api.get("/readyz").uri();
        try (SseSubscribers streams = SseSubscribers.open(server.getHost(), server.getPort(),
                "/api/v1/events?namespace=" + ns, ApiClient.TOKEN, subscribers, (s, data, arrival) -> {
                    Stamp e = Stamp.of(data);
                    if (e.name().startsWith("warmup")) {
                        if (!warmedUp[s]) {
                            warmedUp[s] = true;
                            attached.countDown();
                        }
                        return;
                    }
                    latencies.add(Duration.between(Instant.parse(e.timestamp()), arrival).toNanos() / 1e6);
                })) {
            // warm-up events until every subscriber has one: then all are attached to the live stream
            for (int i = 0; !attached.await(200, TimeUnit.MILLISECONDS); i++) {
                streams.throwIfLost();
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
                streams.throwIfLost();
                Thread.sleep(50);
            }
            streams.throwIfLost();
            if (latencies.size() < (long) subscribers * events) {
                throw new IllegalStateException("SSE: only " + latencies.size() + " of " + subscribers * events
                        + " deliveries arrived within 30 s");
            }
        }
        return new Result(Latencies.of(latencies), subscribers, events);
    }

    /** What the scenario reads of an event. */
    record Stamp(String name, String timestamp) {

        /**
         * Reads the two fields with Jackson's streaming parser up to the second of them (they come early)
         * rather than the whole event as a tree: this runs on the subscribers' one thread.
         */
        static Stamp of(String data) {
            String name = null;
            String timestamp = null;
            try (JsonParser p = JSON.createParser(data)) {
                if (p.nextToken() != JsonToken.START_OBJECT) {
                    throw new IOException("not a JSON object");
                }
                while ((name == null || timestamp == null) && p.nextToken() == JsonToken.FIELD_NAME) {
                    String field = p.currentName();
                    p.nextToken();
                    switch (field) {
                        case "name" -> name = p.getText();
                        case "timestamp" -> timestamp = p.getText();
                        default -> p.skipChildren();
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("bad event: " + data, e);
            }
            if (name == null || timestamp == null) {
                throw new IllegalStateException("bad event, without name or timestamp: " + data);
            }
            return new Stamp(name, timestamp);
        }
    }
}
