package dev.vireo.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code bin/bench [--quick] [--out FILE.json] [--hypervisor URI]}: starts Vireo as its own process on a
 * fresh embedded journal, runs the scenarios against its HTTP API, prints a table and writes JSON.
 */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        Path out = Path.of("benchmarks/target/bench.json");
        String hypervisor = "test:///default";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--hypervisor" -> hypervisor = args[++i];
                default -> {
                    System.err.println("usage: bin/bench [--quick] [--out FILE.json] [--hypervisor URI]");
                    System.exit(64);
                }
            }
        }
        int burstVms = quick ? 100 : 1000;
        double throughputSeconds = quick ? 15 : 60;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("machine", machine());

        Path data = Files.createTempDirectory("vireo-bench-");
        Path log = data.resolveSibling(data.getFileName() + ".log");
        System.out.printf("starting Vireo (data %s, log %s, hypervisor %s)%n", data, log, hypervisor);
        try (VireoProcess vireo = VireoProcess.start(data, hypervisor, log, "-Xmx2g")) {
            ApiClient api = new ApiClient(vireo.base());
            System.out.println("warming up: 20 VMs");
            BurstScenario.run(api, "warmup", 20);

            System.out.printf("burst: %d VMs created at once%n", burstVms);
            BurstScenario.Result burst = BurstScenario.run(api, "burst", burstVms);
            results.put("burst", Map.of("vms", burstVms, "p50_ms", burst.latencies().p50(),
                    "p95_ms", burst.latencies().p95(), "p99_ms", burst.latencies().p99(),
                    "max_ms", burst.latencies().max(), "events", burst.events(),
                    "events_per_s", burst.events() / burst.seconds()));

            int cycling = Math.min(burstVms, 100);
            System.out.printf("throughput: start/stop cycles over %d VMs for %.0f s%n", cycling, throughputSeconds);
            ThroughputScenario.Result t = ThroughputScenario.run(api, "burst", cycling, throughputSeconds);
            results.put("throughput", Map.of("vms", cycling, "seconds", t.seconds(), "transitions", t.transitions(),
                    "events", t.events(), "transitions_per_s", t.transitionsPerSecond(),
                    "events_per_s", t.eventsPerSecond()));
        }
        printTable(results);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        System.out.println("results written to " + out);
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_bytes", ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize());
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("journal", "embedded H2 (pekko-persistence-jdbc)");
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printTable(Map<String, Object> results) {
        System.out.println();
        System.out.printf("%-12s %-22s %14s   %s%n", "scenario", "figure", "value", "goal");
        Map<String, String> goals = Map.of("burst.p95_ms", "< 100 ms (100 VMs)");
        results.forEach((scenario, figures) -> ((Map<String, Object>) figures).forEach((k, v) ->
                System.out.printf("%-12s %-22s %14s   %s%n", scenario, k,
                        v instanceof Double d ? String.format("%.2f", d) : String.valueOf(v),
                        goals.getOrDefault(scenario + "." + k, ""))));
        System.out.println();
    }
}
