package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code snapshot}: one running real guest at a time (128 MiB, 512 MiB), {@code repeat} rounds of: a snapshot of its
 * disks, a snapshot with its memory, a restore from the memory snapshot (no boot), a restore of the disk snapshot
 * (the guest is stopped, its disks restored, started again: a boot). Per operation: the wall time from the request to
 * its end as the client sees it (polling every 100 ms), and what the node measured and recorded in the event
 * ({@code SnapshotCompleted} / {@code RestoreCompleted}: the guest's pause, the operation's duration, the size).
 */
final class SnapshotScenario {

    static final String NAMESPACE = "bench-snapshot";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOOT = Duration.ofMinutes(4);
    static final List<String> OPERATIONS = List.of("snapshot_disks", "snapshot_memory", "restore_memory",
            "restore_disks");

    /** One operation as measured. */
    record Sample(String operation, double wallMs, long pauseMs, long durationMs, long sizeBytes, double load) {
    }

    /** The operations on one guest size. */
    record Case(int memoryMiB, List<Sample> samples) {
        String key() {
            return "snapshot_" + memoryMiB;
        }

        Map<String, Object> figures() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("memory_mib", memoryMiB);
            for (String op : OPERATIONS) {
                List<Sample> of = samples.stream().filter(s -> s.operation().equals(op)).toList();
                Latencies wall = Latencies.of(of.stream().map(Sample::wallMs).toList());
                Latencies pause = Latencies.of(of.stream().map(s -> (double) s.pauseMs()).toList());
                m.put(op + "_n", of.size());
                m.put(op + "_wall_p50_ms", wall.p50());
                m.put(op + "_wall_max_ms", wall.max());
                m.put(op + "_pause_p50_ms", pause.p50());
                m.put(op + "_pause_max_ms", pause.max());
                if (op.startsWith("snapshot")) {
                    m.put(op + "_size_bytes", of.stream().mapToLong(Sample::sizeBytes).max().orElse(0));
                }
            }
            m.put("load_min", samples.stream().mapToDouble(Sample::load).min().orElse(Double.NaN));
            m.put("load_max", samples.stream().mapToDouble(Sample::load).max().orElse(Double.NaN));
            return m;
        }
    }

    private SnapshotScenario() {
    }

    static List<Case> run(GuestCluster cluster, List<Integer> sizesMiB, int repeat) throws Exception {
        List<Case> cases = new ArrayList<>();
        for (int size : sizesMiB) {
            String name = "snap-" + size;
            System.out.printf("  %s: booting a %d MiB guest (load %.1f)%n", name, size, GuestCluster.load());
            cluster.boot(NAMESPACE, name, size, 0, true, BOOT);
            List<Sample> samples = new ArrayList<>();
            for (int i = 1; i <= repeat; i++) {
                samples.add(print(i, repeat, snapshot(cluster, name, "disks-" + i, false)));
                samples.add(print(i, repeat, snapshot(cluster, name, "memory-" + i, true)));
                samples.add(print(i, repeat, restore(cluster, name, "memory-" + i, "restore_memory")));
                samples.add(print(i, repeat, restore(cluster, name, "disks-" + i, "restore_disks")));
                for (String snap : List.of("disks-" + i, "memory-" + i)) {
                    cluster.api.delete(vm(name) + "/snapshots/" + snap);
                }
                awaitIdle(cluster, name, Duration.ofMinutes(2));
            }
            cases.add(new Case(size, samples));
            cluster.delete(NAMESPACE, name, Duration.ofMinutes(2));
        }
        return cases;
    }

    private static Sample print(int i, int repeat, Sample s) {
        System.out.printf("    %d/%d %-16s wall %6.0f ms, guest paused %6d ms, node's duration %6d ms%s, load %.1f%n",
                i, repeat, s.operation(), s.wallMs(), s.pauseMs(), s.durationMs(),
                s.sizeBytes() > 0 ? String.format(", %.1f MiB", s.sizeBytes() / 1048576.0) : "", s.load());
        return s;
    }

    private static String vm(String name) {
        return "/api/v1/namespaces/" + NAMESPACE + "/virtualmachines/" + name;
    }

    private static Sample snapshot(GuestCluster cluster, String name, String snap, boolean memory) throws Exception {
        awaitIdle(cluster, name, Duration.ofMinutes(2));
        long began = System.nanoTime();
        HttpResponse<String> r = cluster.api.post(vm(name) + "/snapshots", "{\"name\": \"" + snap + "\", \"memory\": "
                + memory + "}");
        if (r.statusCode() != 202) {
            throw new IllegalStateException("snapshot " + snap + " of " + name + ": " + r.statusCode() + " " + r.body());
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            JsonNode s = JSON.readTree(cluster.api.get(vm(name) + "/snapshots/" + snap).body());
            String phase = s.at("/status/phase").asText();
            if (phase.equals("Failed")) {
                throw new IllegalStateException("snapshot " + snap + " of " + name + " failed: " + s);
            }
            if (phase.equals("Succeeded")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("snapshot " + snap + " of " + name + " did not end in 10 minutes");
            }
            Thread.sleep(100);
        }
        double wall = (System.nanoTime() - began) / 1e6;
        JsonNode done = last(cluster, name, "SnapshotCompleted", snap);
        return new Sample(memory ? "snapshot_memory" : "snapshot_disks", wall, done.path("pauseMs").asLong(-1),
                done.path("durationMs").asLong(-1), done.path("sizeBytes").asLong(0), GuestCluster.load());
    }

    private static Sample restore(GuestCluster cluster, String name, String snap, String operation) throws Exception {
        awaitIdle(cluster, name, Duration.ofMinutes(2));
        int before = count(cluster, name, "RestoreCompleted", "RestoreFailed");
        long began = System.nanoTime();
        HttpResponse<String> r = cluster.api.post(vm(name) + "/restore", "{\"snapshot\": \"" + snap + "\"}");
        if (r.statusCode() != 202) {
            throw new IllegalStateException("restore " + snap + " of " + name + ": " + r.statusCode() + " " + r.body());
        }
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (count(cluster, name, "RestoreCompleted", "RestoreFailed") == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("restore " + snap + " of " + name + " did not end in 10 minutes");
            }
            Thread.sleep(100);
        }
        double wall = (System.nanoTime() - began) / 1e6;
        JsonNode ended = null;
        for (JsonNode e : cluster.history(NAMESPACE, name)) {
            if (List.of("RestoreCompleted", "RestoreFailed").contains(e.path("type").asText())) {
                ended = e;
            }
        }
        if (!"RestoreCompleted".equals(ended.path("type").asText())) {
            throw new IllegalStateException("restore " + snap + " of " + name + " failed: " + ended);
        }
        JsonNode done = last(cluster, name, "RestoreCompleted", snap);
        return new Sample(operation, wall, done.path("pauseMs").asLong(-1), done.path("durationMs").asLong(-1), 0,
                GuestCluster.load());
    }

    /** The data of the newest event of {@code type} about {@code snap}; null when there is none. */
    private static JsonNode last(GuestCluster cluster, String name, String type, String snap) throws Exception {
        JsonNode found = null;
        for (JsonNode e : cluster.history(NAMESPACE, name)) {
            if (e.path("type").asText().equals(type) && snap.equals(e.path("data").path("snapshot").asText())) {
                found = e.path("data");
            }
        }
        return found;
    }

    private static int count(GuestCluster cluster, String name, String... types) throws Exception {
        List<String> wanted = List.of(types);
        int n = 0;
        for (JsonNode e : cluster.history(NAMESPACE, name)) {
            n += wanted.contains(e.path("type").asText()) ? 1 : 0;
        }
        return n;
    }

    /** Until the VM is Running with no snapshot or restore under way, and its guest prints heartbeats. */
    private static void awaitIdle(GuestCluster cluster, String name, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if ("Running".equals(cluster.vm(NAMESPACE, name).at("/status/printableStatus").asText())
                    && GuestCluster.lastHeartbeat(cluster.console(NAMESPACE, name)) >= 1) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " is not Running within " + within);
    }
}
