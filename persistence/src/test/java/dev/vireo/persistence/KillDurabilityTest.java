package dev.vireo.persistence;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertTrue;

class KillDurabilityTest {

    private static final int ACKS_BEFORE_KILL = 400;

    @TempDir
    Path dataDir;

    @Test
    void everyAcknowledgedEventSurvivesKillMinus9OfTheWriter() throws Exception {
        Map<String, Long> acked = killWriterAfterAcks(dataDir, List.of());

        try (var journal = new TestJournal(dataDir)) {
            int stored = 0;
            List<String> lost = new ArrayList<>();
            for (var entry : acked.entrySet()) {
                var history = TestJournal.await(journal.log().history(TestJournal.vm(entry.getKey())));
                stored += history.size();
                Set<Long> seqNrs = new HashSet<>(history.stream().map(StoredEvent::sequenceNr).toList());
                for (long seq = 1; seq <= entry.getValue(); seq++) {
                    if (!seqNrs.contains(seq)) {
                        lost.add(entry.getKey() + "#" + seq);
                    }
                }
            }
            long ackCount = acked.values().stream().mapToLong(Long::longValue).sum();
            System.out.println("acknowledged " + ackCount + ", stored after kill -9 " + stored + ", lost " + lost.size());
            assertTrue(lost.isEmpty(), lost.size() + " acknowledged events lost after kill -9: " + lost);
            assertTrue(ackCount >= ACKS_BEFORE_KILL);
        }
    }

    /** Runs {@link DurabilityWriter} in its own JVM, SIGKILLs it mid-write; returns the highest acked seqNr per id. */
    static Map<String, Long> killWriterAfterAcks(Path dataDir, List<String> writerArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                DurabilityWriter.class.getName(), dataDir.toString()));
        command.addAll(writerArgs);
        Path stderr = dataDir.resolve("writer.err");
        Process writer = new ProcessBuilder(command).redirectError(stderr.toFile()).start();

        Map<String, Long> acked = new ConcurrentHashMap<>();
        AtomicInteger ackCount = new AtomicInteger();
        AtomicLong firstAck = new AtomicLong();
        Thread reader = new Thread(() -> {
            try (var lines = new BufferedReader(new InputStreamReader(writer.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    if (line.startsWith("ACK ")) {
                        String[] parts = line.split(" ");
                        acked.merge(parts[1], Long.parseLong(parts[2]), Math::max);
                        if (ackCount.incrementAndGet() == 1) {
                            firstAck.set(System.nanoTime());
                        }
                    }
                }
            } catch (Exception e) {
                // the pipe breaks when the process dies
            }
        });
        reader.start();

        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (ackCount.get() < ACKS_BEFORE_KILL && writer.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        boolean wasWriting = writer.isAlive();
        long writingMillis = Math.max(1, (System.nanoTime() - firstAck.get()) / 1_000_000);
        writer.destroyForcibly(); // SIGKILL
        writer.waitFor(10, TimeUnit.SECONDS);
        reader.join(10_000);
        assertTrue(wasWriting && ackCount.get() >= ACKS_BEFORE_KILL,
                "the writer should still be writing after " + ACKS_BEFORE_KILL + " acks; it acked " + ackCount.get()
                        + ", stderr: " + Files.readString(stderr));
        System.out.println("writer acked " + ackCount.get() + " events in " + writingMillis + " ms ("
                + ackCount.get() * 1000 / writingMillis + "/s from " + DurabilityWriter.WRITERS + " writers), then got SIGKILL");
        return new HashMap<>(acked);
    }
}
