package dev.vireo.persistence;

import com.typesafe.config.ConfigFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Not a test: a main that measures what the embedded journal can do on this machine, for docs/benchmarks.md.
 * Events per second through the journal plugin with W writers (each with one write in flight, as a VM entity
 * has), durable (a force per group) and not; bin/bench measures the disk's forced writes per second.
 * Args: a scratch directory, seconds per figure.
 */
public final class JournalForceMeasurement {

    public static void main(String[] args) throws Exception {
        // As Main does: with fewer than 3 cores the common pool has one thread, and every callback that Scala's
        // future converters hand to it then starts a thread of its own (this measurement once spent its time so).
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism",
                    String.valueOf(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
        Path dir = Path.of(args[0]);
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        for (int writers : new int[] {1, 16, 200}) {
            for (boolean durable : new boolean[] {false, true}) {
                measure(dir.resolve((durable ? "durable-" : "plain-") + writers), writers, durable, seconds);
            }
        }
        System.exit(0);
    }

    private static void measure(Path dataDir, int writers, boolean durable, int seconds) throws Exception {
        var overrides = durable ? ConfigFactory.empty() : ConfigFactory.parseString(
                "jdbc-journal.class = \"org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal\"");
        try (var journal = new TestJournal(dataDir, overrides)) {
            AtomicLong acked = new AtomicLong();
            long warmEnd = System.nanoTime() + 2_000_000_000L;
            long end = warmEnd + seconds * 1_000_000_000L;
            AtomicLong ackedAtWarm = new AtomicLong(-1);
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String id = "VirtualMachine|measure/vm-" + w;
                CompletableFuture<Void> done = new CompletableFuture<>();
                loops.add(done);
                writeUntil(journal, id, 0, end, acked, done);
            }
            while (System.nanoTime() < warmEnd) {
                Thread.sleep(10);
            }
            long atWarm = acked.get();
            JournalForce.Counts before = JournalForce.get(journal.system()).counts();
            long cpu0 = processCpuNanos();
            long t0 = System.nanoTime();
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).join();
            double secs = (System.nanoTime() - t0) / 1e9;
            double cpuMs = (processCpuNanos() - cpu0) / 1e6;
            JournalForce.Counts after = JournalForce.get(journal.system()).counts();
            long forces = after.forces() - before.forces();
            long events = acked.get() - atWarm;
            System.out.printf("%s writers=%d events/s=%.0f forces/s=%.0f events/force=%.1f cpu-ms/1000 events=%.0f%n",
                    durable ? "durable" : "plain  ", writers, events / secs, forces / secs,
                    forces == 0 ? 0.0 : (after.eventsForced() - before.eventsForced()) / (double) forces,
                    events == 0 ? 0.0 : cpuMs * 1000 / events);
        }
    }

    /** CPU time of this whole process (the writers, the journal, H2, GC), in nanoseconds. */
    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static void writeUntil(TestJournal journal, String id, int n, long end, AtomicLong acked,
                                   CompletableFuture<Void> done) {
        journal.recordAsync(id, "e" + n).whenComplete((seq, failure) -> {
            if (failure != null) {
                done.completeExceptionally(failure);
                return;
            }
            acked.incrementAndGet();
            if (System.nanoTime() < end) {
                writeUntil(journal, id, n + 1, end, acked, done);
            } else {
                done.complete(null);
            }
        });
    }
}
