package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * {@code state?at=} on one VM with a long log: the log is grown by spec updates (one SpecUpdated each),
 * then instants drawn uniformly from the VM's own event timestamps are asked one after another.
 */
final class TimeTravelScenario {

    record Result(Latencies latencies, int events, double writeSeconds) {
    }

    static Result run(ApiClient api, int events, int queries) throws Exception {
        String ns = "timetravel";
        String name = "vm-0";
        var created = api.create(ns, name, "Halted").get();
        if (created.statusCode() != 201) {
            throw new IllegalStateException("create: " + created.statusCode() + " " + created.body());
        }
        long start = System.nanoTime();
        // one entity persists one command at a time: a few in flight keep it busy without piling up
        ApiClient.many(events - 1, 4, 200,
                i -> api.replace(ns, name, ApiClient.manifest(name, "Halted", (1 + i % 4000) + "Mi")));
        double writeSeconds = (System.nanoTime() - start) / 1e9;

        String base = "/api/v1/namespaces/" + ns + "/virtualmachines/" + name;
        JsonNode items = new ObjectMapper().readTree(api.get(base + "/history").body()).get("items");
        List<String> instants = new ArrayList<>();
        items.forEach(e -> instants.add(e.get("timestamp").asText()));
        Random random = new Random(42);
        List<Double> millis = new ArrayList<>();
        for (int q = 0; q < 30 + queries; q++) {
            int k = random.nextInt(instants.size());
            String at = instants.get(k);
            Instant cut = Instant.parse(at);
            long expected = instants.stream().filter(t -> !Instant.parse(t).isAfter(cut)).count();
            long sent = System.nanoTime();
            HttpResponse<String> r = api.get(base + "/state?at=" + URLEncoder.encode(at, StandardCharsets.UTF_8));
            double ms = (System.nanoTime() - sent) / 1e6;
            if (r.statusCode() != 200) {
                throw new IllegalStateException("state?at=" + at + ": " + r.statusCode() + " " + r.body());
            }
            String version = new ObjectMapper().readTree(r.body()).get("metadata").get("resourceVersion").asText();
            if (!version.equals(Long.toString(expected))) {
                throw new IllegalStateException("state?at=" + at + " gave resourceVersion " + version + ", the log says "
                        + expected);
            }
            if (q >= 30) { // the first 30 are the warm-up
                millis.add(ms);
            }
        }
        return new Result(Latencies.of(millis), items.size(), writeSeconds);
    }
}
