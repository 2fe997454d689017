package dev.vireo.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code migration}: one real guest at a time (128 MiB, 512 MiB; idle, then rewriting a quarter of its memory
 * without pause) live-migrated back and forth between two nodes {@code repeat} times. Per migration: the downtime
 * and the job's duration as libvirt measured them (its completed job's statistics, carried by
 * {@code MigrationCompleted}), the wall time from the request to the migration's end (the events' own timestamps,
 * same clock as the client), and the control plane's overhead: from the request to {@code MigrationStarted} (the
 * target reserved and prepared, the source told to go). The load average is recorded with each.
 */
final class MigrationScenario {

    static final String NAMESPACE = "bench-migration";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration BOOT = Duration.ofMinutes(4);

    /** One migration as measured. */
    record Sample(String phase, long downtimeMs, long jobMs, double wallMs, double overheadMs, long iterations,
                  long dirtyRate, boolean postCopy, double load, String reason, boolean heartbeatWentOn) {
    }

    /** The migrations of one guest size and mode. */
    record Case(int memoryMiB, int dirtyMiB, boolean disk, List<Sample> samples) {
        String key() {
            return "migration_" + memoryMiB + (dirtyMiB > 0 ? "_dirty" : "_idle") + (disk ? "" : "_nodisk");
        }

        List<Sample> succeeded() {
            return samples.stream().filter(s -> s.phase().equals("Succeeded")).toList();
        }

        Map<String, Object> figures() {
            List<Sample> ok = succeeded();
            // a post-copy job's statistics may lack the downtime (-1): not a sample
            Latencies downtime = Latencies.of(ok.stream().filter(s -> s.downtimeMs() >= 0)
                    .map(s -> (double) s.downtimeMs()).toList());
            Latencies job = Latencies.of(ok.stream().map(s -> (double) s.jobMs()).toList());
            Latencies wall = Latencies.of(ok.stream().map(Sample::wallMs).toList());
            Latencies overhead = Latencies.of(samples.stream().filter(s -> s.overheadMs() >= 0)
                    .map(Sample::overheadMs).toList());
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("memory_mib", memoryMiB);
            m.put("dirtying_mib", dirtyMiB);
            m.put("data_disk", disk);
            m.put("migrations", samples.size());
            m.put("succeeded", ok.size());
            m.put("switched_to_post_copy", samples.stream().filter(Sample::postCopy).count());
            m.put("heartbeat_went_on", samples.stream().filter(Sample::heartbeatWentOn).count());
            m.put("downtime_samples", downtime.count());
            m.put("downtime_p50_ms", downtime.p50());
            m.put("downtime_p95_ms", downtime.p95());
            m.put("downtime_max_ms", downtime.max());
            m.put("job_p50_ms", job.p50());
            m.put("job_p95_ms", job.p95());
            m.put("wall_p50_ms", wall.p50());
            m.put("wall_p95_ms", wall.p95());
            m.put("overhead_p50_ms", overhead.p50());
            m.put("overhead_p95_ms", overhead.p95());
            m.put("iterations_max", ok.stream().mapToLong(Sample::iterations).max().orElse(0));
            m.put("dirty_rate_max_pages_per_s", samples.stream().mapToLong(Sample::dirtyRate).max().orElse(0));
            m.put("load_min", samples.stream().mapToDouble(Sample::load).min().orElse(Double.NaN));
            m.put("load_max", samples.stream().mapToDouble(Sample::load).max().orElse(Double.NaN));
            samples.stream().filter(s -> !s.phase().equals("Succeeded")).findFirst()
                    .ifPresent(s -> m.put("first_failure", s.phase() + ": " + s.reason()));
            return m;
        }
    }

    private MigrationScenario() {
    }

    /**
     * @param policy the migrate request's body ({@code {}}: the cluster's defaults)
     */
    static List<Case> run(GuestCluster cluster, List<Integer> sizesMiB, boolean idle, boolean dirty, boolean disk,
                          int repeat, String policy) throws Exception {
        List<Case> cases = new ArrayList<>();
        for (int size : sizesMiB) {
            for (int dirtyMiB : dirtyModes(size, idle, dirty)) {
                String name = "mig-" + size + (dirtyMiB > 0 ? "-dirty" : "-idle") + (disk ? "" : "-nodisk");
                System.out.printf("  %s: booting a %d MiB guest%s%s (load %.1f)%n", name, size,
                        disk ? " with a data disk" : " without a disk",
                        dirtyMiB > 0 ? " that rewrites " + dirtyMiB + " MiB without pause" : "", GuestCluster.load());
                cluster.boot(NAMESPACE, name, size, dirtyMiB, disk, BOOT);
                List<Sample> samples = new ArrayList<>();
                for (int i = 1; i <= repeat; i++) {
                    int before = GuestCluster.lastHeartbeat(cluster.console(NAMESPACE, name));
                    Sample s = migrateOnce(cluster, name, policy);
                    awaitRunning(cluster, name, Duration.ofMinutes(2));
                    s = withHeartbeat(s, heartbeatGoesOn(cluster, name, before, Duration.ofSeconds(30)));
                    samples.add(s);
                    System.out.printf("    %d/%d %s: downtime %d ms, job %d ms, wall %.0f ms, overhead %.0f ms,"
                                    + " iterations %d, dirty rate %d pages/s%s, heartbeat %s, load %.1f%s%n", i, repeat,
                            s.phase(), s.downtimeMs(), s.jobMs(), s.wallMs(), s.overheadMs(), s.iterations(),
                            s.dirtyRate(), s.postCopy() ? ", switched to post-copy" : "",
                            s.heartbeatWentOn() ? "went on" : "DID NOT GO ON", s.load(),
                            s.reason() == null ? "" : " (" + s.reason() + ")");
                }
                Case c = new Case(size, dirtyMiB, disk, samples);
                cases.add(c);
                cluster.delete(NAMESPACE, name, Duration.ofMinutes(2));
            }
        }
        return cases;
    }

    private static List<Integer> dirtyModes(int size, boolean idle, boolean dirty) {
        List<Integer> modes = new ArrayList<>();
        if (idle) {
            modes.add(0);
        }
        if (dirty) {
            modes.add(size / 4);
        }
        return modes;
    }

    private static Sample migrateOnce(GuestCluster cluster, String name, String policy) throws Exception {
        String vm = "/api/v1/namespaces/" + NAMESPACE + "/virtualmachines/" + name;
        Instant asked = Instant.now();
        HttpResponse<String> accepted = cluster.api.post(vm + "/migrate", policy);
        if (accepted.statusCode() != 202) {
            throw new IllegalStateException("migrate " + name + ": " + accepted.statusCode() + " " + accepted.body());
        }
        String id = JSON.readTree(accepted.body()).path("migrationId").asText();
        JsonNode m;
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (true) {
            m = JSON.readTree(cluster.api.get(vm + "/migrations/" + id).body());
            String phase = m.path("phase").asText();
            if (phase.equals("Succeeded") || phase.equals("Failed") || phase.equals("Cancelled")) {
                break;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("migration " + id + " of " + name + " did not end in 10 minutes: " + m);
            }
            Thread.sleep(100);
        }
        double overhead = m.hasNonNull("startedAt") ? millisBetween(asked, m.path("startedAt").asText()) : -1;
        double wall = m.hasNonNull("endedAt") ? millisBetween(asked, m.path("endedAt").asText()) : -1;
        // the highest iteration and dirty rate any progress report of this migration carried
        long iterations = 0;
        long dirtyRate = 0;
        boolean postCopy = false;
        for (JsonNode e : cluster.history(NAMESPACE, name)) {
            JsonNode data = e.path("data");
            if (e.path("type").asText().equals("MigrationProgressed") && id.equals(data.path("migrationId").asText())) {
                iterations = Math.max(iterations, data.path("progress").path("iteration").asLong(0));
                dirtyRate = Math.max(dirtyRate, data.path("progress").path("dirtyRate").asLong(0));
                postCopy |= data.path("progress").path("postCopy").asBoolean(false);
            }
        }
        return new Sample(m.path("phase").asText(), m.path("downtimeMs").asLong(-1), m.path("durationMs").asLong(-1),
                wall, overhead, iterations, dirtyRate, postCopy, GuestCluster.load(),
                m.hasNonNull("reason") ? m.path("reason").asText() : null, false);
    }

    private static Sample withHeartbeat(Sample s, boolean wentOn) {
        return new Sample(s.phase(), s.downtimeMs(), s.jobMs(), s.wallMs(), s.overheadMs(), s.iterations(),
                s.dirtyRate(), s.postCopy(), s.load(), s.reason(), wentOn);
    }

    /** The guest's heartbeat counts on past {@code before} without a new boot (wherever it runs now). */
    private static boolean heartbeatGoesOn(GuestCluster cluster, String name, int before, Duration within)
            throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            String console = cluster.console(NAMESPACE, name);
            if (GuestCluster.lastHeartbeat(console) > before) {
                // the console is the target's log since the migration: a boot line there is a reboot
                return !console.contains("VIREO-GUEST-BOOTED");
            }
            Thread.sleep(250);
        }
        return false;
    }

    private static double millisBetween(Instant from, String to) {
        return Duration.between(from, Instant.parse(to)).toNanos() / 1e6;
    }

    private static void awaitRunning(GuestCluster cluster, String name, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            if ("Running".equals(cluster.vm(NAMESPACE, name).at("/status/printableStatus").asText())) {
                return;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(name + " is not Running " + within + " after its migration");
    }
}
