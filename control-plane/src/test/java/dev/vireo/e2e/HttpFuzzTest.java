package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP fuzzer ({@link HttpFuzzer}) against a real Vireo on libvirt's test hypervisor: a few thousand mutated
 * requests in CI. The long mode is the same test with {@code -Dvireo.fuzz.count=N -Dvireo.fuzz.workers=W}
 * ({@code bin/fuzz --count N --workers W}): W fuzzers at once, each on a namespace of its own and comparing only
 * that namespace's VMs across its refused requests. No 5xx, no hang, no state change from a refused request; the
 * counts go to target/fuzz-report.json; {@code -Dvireo.fuzz.minutes=M} stops it after M minutes (docs/security.md records them).
 */
class HttpFuzzTest {

    private static final long COUNT = Long.getLong("vireo.fuzz.count", 2000);
    private static final int WORKERS = Integer.getInteger("vireo.fuzz.workers", 1);
    /** The long mode's time budget: it stops after this many minutes, with whatever count it reached. */
    private static final long MINUTES = Long.getLong("vireo.fuzz.minutes", 60L * 24);
    private static final long SEED = Long.getLong("vireo.fuzz.seed", System.nanoTime());

    @RegisterExtension
    static final RunningVireo vireo = new RunningVireo()
            // short deadlines: requests the fuzzer leaves incomplete end in seconds, not minutes
            .with("vireo.http.request-head-timeout", "2s")
            .with("vireo.http.request-body-timeout", "2s");

    /**
     * Worker w's namespace, two characters apart from every other worker's: a mutation flips one character of a
     * path, and a flip must not turn one worker's request into another's (the first long run's one finding was
     * that: "fuzz-5" flipped to "fuzz-2" deleted the other worker's VM, an accepted request, which that worker then
     * saw change under a refused one).
     */
    private static String namespace(int worker) {
        char c = (char) ('a' + worker % 26);
        return "fuzz-" + c + c + (worker / 26 == 0 ? "" : Integer.toString(worker / 26));
    }

    @Test
    void mutatedRequestsGetNo5xxNoHangAndChangeNothingWhenRefused() throws Exception {
        System.out.printf("fuzz: %d requests by %d worker(s), seed %d (-Dvireo.fuzz.seed=%d repeats this run)%n",
                COUNT, WORKERS, SEED, SEED);
        String loadBefore = Files.readString(Path.of("/proc/loadavg")).trim();
        long start = System.nanoTime();
        long until = start + Duration.ofMinutes(MINUTES).toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(WORKERS);
        List<Future<HttpFuzzer.Report>> runs = new ArrayList<>();
        for (int w = 0; w < WORKERS; w++) {
            int worker = w;
            long share = COUNT / WORKERS + (w < COUNT % WORKERS ? 1 : 0);
            runs.add(pool.submit(() -> new HttpFuzzer(vireo.port(), SEED + worker, namespace(worker), WORKERS > 1)
                    .run(share, until, line -> System.out.println("fuzz[" + worker + "]: " + line))));
        }
        Map<String, Integer> sent = new TreeMap<>();
        Map<String, Integer> answered = new TreeMap<>();
        List<String> findings = new ArrayList<>();
        long requests = 0;
        for (Future<HttpFuzzer.Report> run : runs) {
            HttpFuzzer.Report report = run.get();
            report.sentByClass().forEach((k, v) -> sent.merge(k, v, Integer::sum));
            report.answeredByStatus().forEach((k, v) -> answered.merge(k, v, Integer::sum));
            findings.addAll(report.findings());
            requests += report.requests();
        }
        pool.shutdown();
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("requests", requests);
        json.put("asked", COUNT);
        json.put("workers", WORKERS);
        json.put("seed", SEED);
        json.put("seconds", took.toMillis() / 1000.0);
        json.put("requestsPerSecond", Math.round(requests * 1000.0 / Math.max(1, took.toMillis())));
        json.put("sentByClass", sent);
        json.put("answeredByStatus", answered);
        json.put("findings", findings.size());
        json.put("loadBefore", loadBefore);
        json.put("loadAfter", Files.readString(Path.of("/proc/loadavg")).trim());
        String written = Api.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json);
        Path out = Path.of(System.getProperty("vireo.fuzz.report", "target/fuzz-report.json"));
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, written);
        System.out.println("fuzz: " + written);
        findings.stream().limit(20).forEach(f -> System.out.println("fuzz finding: " + f));
        assertTrue(findings.isEmpty(), findings.size() + " findings, the first: "
                + String.join("\n", findings.subList(0, Math.min(5, findings.size()))));
    }
}
