package dev.vireo.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code bin/bench [failover] [--quick] [--out FILE.json] [--hypervisor URI] [--only a,b] [--jfr DIR]
 * [--server-jvm OPT]}: starts Vireo as its own process on a fresh embedded journal, runs the scenarios against its
 * HTTP API, prints a table with the goals and writes JSON. {@code failover} starts a cluster of processes of its own
 * (a control plane and three nodes); {@code bin/bench failover} runs it alone.
 *
 * <p>{@code bin/bench migration|snapshot [--repeat N] [--sizes 128,512] [--modes idle,dirty] [--policy JSON]
 * [--no-disk]}: real
 * guests (QEMU) on libvirt daemons of their own ({@code deploy/libvirt-node.sh}), run alone; see
 * {@link MigrationScenario} and {@link SnapshotScenario}.
 */
public final class Bench {

    /** The goals; the burst's depends on its size: {@link #goal}. */
    static final Map<String, String> GOALS = Map.of(
            "footprint.heap_bytes_per_vm", "<= 10240",
            "recovery.seconds", "< 30 (100k VMs)",
            "time_travel.p99_ms", "< 20 (10k events)",
            "sse.p99_ms", "< 50 (200 subscribers)",
            "failover.p99_seconds", "< 15 (kill -9 of a node to Running elsewhere)",
            "list.namespace_p99_ms", "< 200 (10k VMs)",
            "list.first_page_p99_ms", "< 20 (500 VMs)",
            "list.recoveries_by_warm_lists", "<= 0",
            "throughput.transitions_per_s", ">= 10000 (durable journal)");
    /** The goal of every real-guest migration case (QEMU's default maximum downtime; KubeVirt allows 900 ms). */
    static final String DOWNTIME_GOAL = "< 300 (ms, p95; QEMU's default maximum)";
    /** CPU time a process has used so far (user and system), in milliseconds; -1 when the system does not say. */
    static long cpuMillis(Optional<ProcessHandle> process) {
        return process.flatMap(p -> p.info().totalCpuDuration()).map(Duration::toMillis).orElse(-1L);
    }

    static final List<String> SCENARIOS = List.of("burst", "throughput", "sse", "time_travel", "footprint", "recovery",
            "list", "failover");

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        // The JDK's HTTP client keeps an idle connection for 20 minutes: after a burst of 1000 creates the
        // server would hold 1000 idle connections of ours. Set before the first client is made.
        System.setProperty("jdk.httpclient.keepalive.timeout", "10");
        boolean quick = false;
        Path out = Path.of("benchmarks/target/bench.json");
        String hypervisor = "test:///default";
        Set<String> only = Set.copyOf(SCENARIOS);
        Path jfr = null;
        List<String> serverJvm = new ArrayList<>();
        String guests = null;
        int repeat = 0;
        List<Integer> sizes = List.of(128, 512);
        Set<String> modes = Set.of("idle", "dirty");
        String policy = "{}";
        boolean disk = true;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "failover" -> only = Set.of("failover");
                case "migration", "snapshot" -> guests = args[i];
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                case "--sizes" -> sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
                case "--modes" -> modes = Set.copyOf(Arrays.asList(args[++i].split(",")));
                case "--policy" -> policy = args[++i];
                case "--no-disk" -> disk = false;
                case "--quick" -> quick = true;
                case "--out" -> out = Path.of(args[++i]);
                case "--hypervisor" -> hypervisor = args[++i];
                case "--only" -> only = Set.copyOf(Arrays.asList(args[++i].split(",")));
                case "--jfr" -> jfr = Path.of(args[++i]).toAbsolutePath();
                case "--server-jvm" -> serverJvm.add(args[++i]);
                default -> {
                    System.err.println("usage: bin/bench [failover] [--quick] [--out FILE.json] [--hypervisor URI]"
                            + " [--only " + String.join(",", SCENARIOS) + "] [--jfr DIR] [--server-jvm OPTION]...\n"
                            + "       bin/bench migration|snapshot [--repeat N] [--sizes 128,512] [--modes idle,dirty]"
                            + " [--policy JSON] [--no-disk] [--out FILE.json]");
                    System.exit(64);
                }
            }
        }
        int burstVms = quick ? 100 : 1000;
        double throughputSeconds = quick ? 15 : 60;
        int footprintVms = quick ? 10_000 : 100_000;
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("machine", machine());
        if (guests != null) {
            realGuests(guests, results, repeat, sizes, modes, policy, disk);
            printTable(results);
            Files.createDirectories(out.toAbsolutePath().getParent());
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
            System.out.println("results written to " + out);
            return;
        }

        if (only.contains("failover")) {
            Path clusterDir = Files.createTempDirectory("vireo-bench-failover-");
            int vms = quick ? 12 : 30;
            int rounds = quick ? 1 : 3;
            System.out.printf("failover: 3 nodes, %d VMs, %d round(s) of kill -9 of the busiest node (logs in %s)%n",
                    vms, rounds, clusterDir);
            FailoverScenario.Result f = FailoverScenario.run(clusterDir, 3, vms, rounds);
            results.put("failover", ordered("nodes", f.nodes(), "vms", f.vms(), "rounds", f.rounds(),
                    "affected_vms", f.seconds().count(), "p50_seconds", f.seconds().p50(),
                    "p99_seconds", f.seconds().p99(), "max_seconds", f.seconds().max(),
                    "lease_ttl_ms", f.leaseTtlMillis(), "lease_margin_ms", f.leaseMarginMillis()));
            if (only.equals(Set.of("failover"))) {
                printTable(results);
                Files.createDirectories(out.toAbsolutePath().getParent());
                new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
                System.out.println("results written to " + out);
                return;
            }
        }

        Path data = Files.createTempDirectory("vireo-bench-");
        Path log = data.resolveSibling(data.getFileName() + ".log");
        List<String> jvm = new ArrayList<>(List.of(quick ? "-Xmx2g" : "-Xmx6g"));
        jvm.addAll(serverJvm);
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) results.get("machine");
        List<String> serverOptions = new ArrayList<>(VireoProcess.launcherJitOptions());
        serverOptions.addAll(jvm);
        machine.put("server_jvm_options", String.join(" ", serverOptions));
        if (jfr != null) {
            Files.createDirectories(jfr);
            jvm.add("-XX:FlightRecorderOptions:stackdepth=256");
            jvm.add("-XX:StartFlightRecording=settings=profile,filename=" + jfr.resolve("vireo-%n.jfr"));
        }
        System.out.printf("starting Vireo (data %s, log %s, hypervisor %s)%n", data, log, hypervisor);
        long eventsInJournal;
        int vmsInJournal;
        VireoProcess vireo = VireoProcess.start(data, hypervisor, log, jvm.toArray(String[]::new));
        try {
            ApiClient api = new ApiClient(vireo.base());
            System.out.println("warming up: 20 VMs created and started");
            BurstScenario.run(api, "warmup", 20);

            if (only.contains("burst") || only.contains("throughput")) {
                System.out.printf("burst: %d VMs created at once%n", burstVms);
                JournalForces burstForces = JournalForces.of(api);
                long burstCpu = cpuMillis(ProcessHandle.of(vireo.pid()));
                long burstClientCpu = cpuMillis(Optional.of(ProcessHandle.current()));
                BurstScenario.Result burst = BurstScenario.run(api, "burst", burstVms);
                burstCpu = cpuMillis(ProcessHandle.of(vireo.pid())) - burstCpu;
                burstClientCpu = cpuMillis(Optional.of(ProcessHandle.current())) - burstClientCpu;
                burstForces = burstForces.until(api);
                System.out.println("  " + burst.latencies());
                System.out.println("  DomainStarted decided -> seen by the client: " + burst.streamDelays());
                // a second burst of other new VMs: what a cluster that has run a while sees (its shards
                // allocated and remembered, its JIT warm), as opposed to the first burst on a new journal
                System.out.printf("burst again: %d other VMs created at once%n", burstVms);
                long againCpu = cpuMillis(ProcessHandle.of(vireo.pid()));
                long againClientCpu = cpuMillis(Optional.of(ProcessHandle.current()));
                BurstScenario.Result again = BurstScenario.run(api, "burst-again", burstVms);
                againCpu = cpuMillis(ProcessHandle.of(vireo.pid())) - againCpu;
                againClientCpu = cpuMillis(Optional.of(ProcessHandle.current())) - againClientCpu;
                System.out.println("  " + again.latencies());
                System.out.println("  DomainStarted decided -> seen by the client: " + again.streamDelays());
                results.put("burst", ordered("vms", burstVms, "p50_ms", burst.latencies().p50(),
                        "p95_ms", burst.latencies().p95(), "p99_ms", burst.latencies().p99(),
                        "max_ms", burst.latencies().max(), "stream_delay_p50_ms", burst.streamDelays().p50(),
                        "stream_delay_p95_ms", burst.streamDelays().p95(), "events", burst.events(),
                        "events_per_s", burst.events() / burst.seconds(),
                        "again_p50_ms", again.latencies().p50(), "again_p95_ms", again.latencies().p95(),
                        "again_p99_ms", again.latencies().p99(),
                        "again_stream_delay_p95_ms", again.streamDelays().p95(),
                        "events_per_force", burstForces.eventsPerForce(),
                        // what a new VM costs the server, from its POST to its DomainStarted on the stream
                        "server_cpu_ms_per_vm", burstCpu / (double) burstVms,
                        "again_server_cpu_ms_per_vm", againCpu / (double) burstVms,
                        // and the client's (its HTTP requests and its reading of the stream), on the same cores
                        "bench_cpu_ms_per_vm", burstClientCpu / (double) burstVms,
                        "again_bench_cpu_ms_per_vm", againClientCpu / (double) burstVms));
            }
            if (only.contains("throughput")) {
                int cycling = Math.min(burstVms, 100);
                System.out.printf("throughput: start/stop cycles over %d VMs for %.0f s%n", cycling, throughputSeconds);
                JournalForces forces = JournalForces.of(api);
                long serverCpu = cpuMillis(ProcessHandle.of(vireo.pid()));
                long benchCpu = cpuMillis(Optional.of(ProcessHandle.current()));
                ThroughputScenario.Result t = ThroughputScenario.run(api, "burst", cycling, throughputSeconds);
                serverCpu = cpuMillis(ProcessHandle.of(vireo.pid())) - serverCpu;
                benchCpu = cpuMillis(Optional.of(ProcessHandle.current())) - benchCpu;
                forces = forces.until(api);
                results.put("throughput", ordered("vms", cycling, "seconds", t.seconds(), "transitions", t.transitions(),
                        "events", t.events(), "transitions_per_s", t.transitionsPerSecond(),
                        "events_per_s", t.eventsPerSecond(), "forces_per_s", forces.forces() / t.seconds(),
                        "events_per_force", forces.eventsPerForce(),
                        // what one transition costs the server: the CPU a goal in transitions/s needs
                        "server_cpu_ms_per_transition", serverCpu / (double) Math.max(1, t.transitions()),
                        "server_cores_busy", serverCpu / 1000.0 / t.seconds(),
                        "bench_cores_busy", benchCpu / 1000.0 / t.seconds()));
            }
            if (only.contains("sse")) {
                int subscribers = 200;
                System.out.printf("sse: %d subscribers, 200 events at 50/s%n", subscribers);
                SseScenario.Result sse = SseScenario.run(api, subscribers, 200, 50);
                System.out.println("  " + sse.latencies());
                results.put("sse", ordered("subscribers", subscribers, "events", sse.events(),
                        "deliveries", sse.latencies().count(), "p50_ms", sse.latencies().p50(),
                        "p99_ms", sse.latencies().p99(), "max_ms", sse.latencies().max()));
            }
            if (only.contains("time_travel")) {
                System.out.println("time_travel: a VM with 10k events, 200 state?at= queries at random instants");
                TimeTravelScenario.Result tt = TimeTravelScenario.run(api, 10_000, 200);
                System.out.printf("  %s (log written in %.1f s)%n", tt.latencies(), tt.writeSeconds());
                results.put("time_travel", ordered("events", tt.events(), "queries", tt.latencies().count(),
                        "p50_ms", tt.latencies().p50(), "p99_ms", tt.latencies().p99(), "max_ms", tt.latencies().max()));
            }
            if (only.contains("footprint") || only.contains("recovery") || only.contains("list")) {
                System.out.printf("footprint: %d Halted VMs, live heap after full GC (jcmd GC.class_histogram)%n",
                        footprintVms);
                FootprintScenario.Result fp = FootprintScenario.run(api, vireo.pid(), footprintVms);
                results.put("footprint", ordered("vms", fp.vms(), "heap_bytes_per_vm", fp.bytesPerVm(),
                        "baseline_heap_bytes", fp.baselineBytes(), "heap_bytes", fp.afterBytes(),
                        "creates_per_s", fp.createsPerSecond()));
            }
            eventsInJournal = api.metric("vireo_events_persisted_total");
            vmsInJournal = countVms(api, footprintVms);
        } finally {
            vireo.close();
        }
        if (only.contains("recovery")) {
            System.out.printf("recovery: restart holding %d VMs and %d events%n", footprintVms, eventsInJournal);
            int namespaces = (footprintVms + FootprintScenario.PER_NAMESPACE - 1) / FootprintScenario.PER_NAMESPACE;
            String[] names = new String[namespaces];
            int[] counts = new int[namespaces];
            for (int i = 0; i < footprintVms; i++) {
                names[i / FootprintScenario.PER_NAMESPACE] = FootprintScenario.namespace(i);
                counts[i / FootprintScenario.PER_NAMESPACE]++;
            }
            VireoProcess again = VireoProcess.launch(data, hypervisor, log, jvm.toArray(String[]::new));
            try {
                RecoveryScenario.Result r = RecoveryScenario.measure(again, vmsInJournal, names, counts);
                results.put("recovery", ordered("vms", r.vms(), "footprint_vms", footprintVms, "events", eventsInJournal, "seconds", r.seconds(),
                        "ready_seconds", r.readySeconds(), "listed_seconds", r.listedSeconds()));
            } finally {
                again.close();
            }
        }
        if (only.contains("list")) {
            System.out.printf("list: restart holding %d VMs; the %d VMs of %s, its first page of %d, and every VM page"
                    + " by page, right after the restart and warm%n", vmsInJournal, FootprintScenario.PER_NAMESPACE,
                    FootprintScenario.namespace(0), ListScenario.PAGE);
            VireoProcess again = VireoProcess.launch(data, hypervisor, log, jvm.toArray(String[]::new));
            try {
                again.awaitReady(java.time.Duration.ofMinutes(5));
                ApiClient api = new ApiClient(again.base());
                int inNamespace = Math.min(footprintVms, FootprintScenario.PER_NAMESPACE);
                ListScenario.Result cold = ListScenario.measure(api, FootprintScenario.namespace(0), inNamespace,
                        vmsInJournal, 10);
                System.out.printf("  right after the restart: namespace %s; first page %s; every VM %s; VMs recovered"
                        + " %d -> %d of %d%n", cold.namespace(), cold.firstPage(), cold.everyVm(),
                        cold.recoveriesBefore(), cold.recoveriesAfter(), vmsInJournal);
                // warm: the recoveries a restart causes are over. Not "every VM recovered": a VM with no work left
                // memory and sharding forgot it (the recovery scenario's restart let the footprint's Halted VMs go),
                // so after this restart only the VMs remembered since come back, and waiting for all never ended.
                long recovered = -1;
                for (long now = api.metric("vireo_vm_recoveries_total"); now != recovered && now < vmsInJournal;
                     now = api.metric("vireo_vm_recoveries_total")) {
                    recovered = now;
                    Thread.sleep(2000);
                }
                ListScenario.Result warm = ListScenario.measure(api, FootprintScenario.namespace(0), inNamespace,
                        vmsInJournal, 30);
                System.out.printf("  warm: namespace %s; first page %s; every VM %s%n", warm.namespace(),
                        warm.firstPage(), warm.everyVm());
                results.put("list", ordered("namespace_vms", inNamespace, "all_vms", vmsInJournal,
                        "cold_namespace_p50_ms", cold.namespace().p50(), "cold_namespace_p99_ms", cold.namespace().p99(),
                        "cold_first_page_p50_ms", cold.firstPage().p50(), "cold_first_page_p99_ms", cold.firstPage().p99(),
                        "cold_every_vm_p50_ms", cold.everyVm().p50(),
                        "recovered_at_first_list", cold.recoveriesBefore(),
                        "namespace_p50_ms", warm.namespace().p50(), "namespace_p99_ms", warm.namespace().p99(),
                        "first_page_p50_ms", warm.firstPage().p50(), "first_page_p99_ms", warm.firstPage().p99(),
                        "every_vm_p50_ms", warm.everyVm().p50(), "every_vm_p99_ms", warm.everyVm().p99(),
                        "recoveries_by_warm_lists", warm.recoveriesAfter() - warm.recoveriesBefore()));
            } finally {
                again.close();
            }
        }
        printTable(results);
        Files.createDirectories(out.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(out.toFile(), results);
        System.out.println("results written to " + out);
    }

    /**
     * {@code migration} (two nodes) or {@code snapshot} (one node) with real guests, on a cluster of processes and
     * libvirt daemons of their own started for the run and stopped after it.
     */
    private static void realGuests(String which, Map<String, Object> results, int repeat, List<Integer> sizes,
                                   Set<String> modes, String policy, boolean disk) throws Exception {
        Path repository = Path.of("").toAbsolutePath();
        long began = System.nanoTime();
        boolean migration = which.equals("migration");
        int rounds = repeat > 0 ? repeat : migration ? 5 : 2;
        System.out.printf("%s: real guests of %s MiB, %d round(s) each; load %.1f%n", which, sizes, rounds,
                GuestCluster.load());
        @SuppressWarnings("unchecked")
        Map<String, Object> machine = (Map<String, Object>) results.get("machine");
        try (GuestCluster cluster = GuestCluster.start(repository, migration ? List.of("ga", "gb") : List.of("ga"))) {
            machine.put("guests_run_under", cluster.virtualization());
            System.out.printf("  cluster ready in %s, guests run under %s (load %.1f)%n", cluster.dir,
                    cluster.virtualization(), GuestCluster.load());
            if (migration) {
                for (MigrationScenario.Case c : MigrationScenario.run(cluster, sizes, modes.contains("idle"),
                        modes.contains("dirty"), disk, rounds, policy)) {
                    Map<String, Object> figures = c.figures();
                    figures.put("policy", policy);
                    results.put(c.key(), figures);
                }
            } else {
                for (SnapshotScenario.Case c : SnapshotScenario.run(cluster, sizes, rounds)) {
                    results.put(c.key(), c.figures());
                }
            }
        }
        machine.put("load_average_at_end", GuestCluster.load());
        machine.put("seconds", (System.nanoTime() - began) / 1e9);
    }

    /** The VMs that exist in every namespace the scenarios write to (the footprint's and the others'). */
    private static int countVms(ApiClient api, int footprintVms) throws Exception {
        Set<String> namespaces = new java.util.TreeSet<>(List.of("warmup", "burst", "burst-again", "sse", "timetravel",
                "fp-warmup"));
        for (int i = 0; i < footprintVms; i += FootprintScenario.PER_NAMESPACE) {
            namespaces.add(FootprintScenario.namespace(i));
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        int vms = 0;
        for (String ns : namespaces) {
            var r = api.get("/api/v1/namespaces/" + ns + "/virtualmachines");
            if (r.statusCode() != 200) {
                throw new IllegalStateException("list " + ns + ": " + r.statusCode() + " " + r.body());
            }
            vms += json.readTree(r.body()).get("items").size();
        }
        return vms;
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    private static Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("memory_bytes", ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getTotalMemorySize());
        m.put("jvm", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("journal", "embedded H2 (pekko-persistence-jdbc), WRITE_DELAY=0, a group force (fsync) before each ack");
        m.put("forced_4k_writes_per_s", JournalForces.diskForcedWritesPerSecond());
        m.put("cpu_sha256_mb_per_s_one_core", CpuProbe.sha256MegabytesPerSecond());
        m.put("load_average_at_start", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        return m;
    }

    @SuppressWarnings("unchecked")
    private static void printTable(Map<String, Object> results) {
        System.out.println();
        System.out.printf("%-19s %-30s %16s   %s%n", "scenario", "figure", "value", "goal");
        results.forEach((scenario, figures) -> ((Map<String, Object>) figures).forEach((k, v) ->
                System.out.printf("%-19s %-30s %16s   %s%n", scenario, k,
                        v instanceof Double d ? String.format("%.2f", d) : String.valueOf(v),
                        verdict(goal(scenario + "." + k, (Map<String, Object>) figures), v))));
        System.out.println();
    }

    /**
     * The goal of figure {@code key} (scenario.figure) among its scenario's {@code figures}, null if it has none. A
     * burst's p95 has two: under 100 ms for 100 VMs, under 1 s for 1000 (the quick and the full run).
     */
    static String goal(String key, Map<String, Object> figures) {
        if (key.startsWith("migration_") && key.endsWith(".downtime_p95_ms")) {
            return DOWNTIME_GOAL;
        }
        if (key.equals("burst.p95_ms") || key.equals("burst.again_p95_ms")) {
            return figures.get("vms") instanceof Number vms && vms.intValue() >= 1000
                    ? "< 1000 (1000 VMs)" : "< 100 (100 VMs)";
        }
        return GOALS.get(key);
    }

    static String verdict(String goal, Object value) {
        if (goal == null || !(value instanceof Number n)) {
            return "";
        }
        String[] parts = goal.split(" ");
        if (Double.isNaN(n.doubleValue())) {
            return goal + "  (no sample)";
        }
        double limit = Double.parseDouble(parts[1]);
        boolean met = switch (parts[0]) {
            case "<" -> n.doubleValue() < limit;
            case ">=" -> n.doubleValue() >= limit;
            default -> n.doubleValue() <= limit;
        };
        return goal + (met ? "  met" : "  MISSED");
    }
}
