package dev.vireo.persistence;

import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A power cut keeps only what a force of the journal's file covered ({@link PowerCutFilePath}). Every event whose
 * persist was acknowledged (the entity's reply goes out after it), and every event the event stream showed,
 * must be in that image.
 */
class PowerCutDurabilityTest {

    private static final int WRITERS = 8;
    private static final int ACKS_BEFORE_CUT = 300;

    @TempDir
    Path dataDir;
    @TempDir
    Path afterCut;

    @Test
    void everyAcknowledgedOrStreamedEventSurvivesAPowerCut() throws Exception {
        var overrides = PowerCutFilePath.journalOnIt();
        Map<String, Set<Long>> acked = new ConcurrentHashMap<>();
        Map<String, Set<Long>> streamed = new ConcurrentHashMap<>();
        AtomicInteger ackCount = new AtomicInteger();
        AtomicBoolean writing = new AtomicBoolean(true);
        byte[] image;
        Map<String, Set<Long>> ackedBeforeCut;
        Map<String, Set<Long>> streamedBeforeCut;
        try (var journal = new TestJournal(dataDir, overrides, true)) {
            journal.log().stream(0).runWith(Sink.foreach(e -> streamed
                    .computeIfAbsent(e.vm().persistenceId(), k -> ConcurrentHashMap.newKeySet()).add(e.sequenceNr())),
                    journal.system());
            for (int w = 0; w < WRITERS; w++) {
                writeOn(journal, "VirtualMachine|power/vm-" + w, 0, acked, ackCount, writing);
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (ackCount.get() < ACKS_BEFORE_CUT && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            // first what was acknowledged or shown, then the cut: each of those went out before the power did.
            // Copies: acknowledgements go on arriving in the live maps until the writers stop.
            ackedBeforeCut = copy(acked);
            streamedBeforeCut = copy(streamed);
            image = PowerCutFilePath.cut(dataDir.resolve("journal.mv.db"));
            writing.set(false);
            assertTrue(ackCount.get() >= ACKS_BEFORE_CUT, "only " + ackCount.get() + " acks in 60 s");
        }

        Files.write(afterCut.resolve("journal.mv.db"), image);
        try (var journal = new TestJournal(afterCut)) {
            List<String> lostAcked = lost(journal, ackedBeforeCut);
            List<String> lostStreamed = lost(journal, streamedBeforeCut);
            System.out.println("power cut after " + count(ackedBeforeCut) + " acknowledged and " + count(streamedBeforeCut)
                    + " streamed events; image " + image.length + " bytes; lost " + lostAcked.size() + " acknowledged, "
                    + lostStreamed.size() + " streamed");
            assertTrue(lostAcked.isEmpty(), lostAcked.size() + " acknowledged events lost in a power cut: " + lostAcked);
            assertTrue(lostStreamed.isEmpty(), lostStreamed.size() + " streamed events lost in a power cut: " + lostStreamed);
        }
    }

    private static void writeOn(TestJournal journal, String id, int n, Map<String, Set<Long>> acked,
                                AtomicInteger ackCount, AtomicBoolean writing) {
        if (!writing.get()) {
            return;
        }
        journal.recordAsync(id, "event-" + n).whenComplete((seqNr, failure) -> {
            if (failure == null) {
                acked.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(seqNr);
                ackCount.incrementAndGet();
                writeOn(journal, id, n + 1, acked, ackCount, writing);
            }
        });
    }

    private static List<String> lost(TestJournal journal, Map<String, Set<Long>> expected) {
        List<String> lost = new ArrayList<>();
        for (var entry : expected.entrySet()) {
            Set<Long> stored = new HashSet<>(TestJournal.await(journal.log().history(TestJournal.vm(entry.getKey())))
                    .stream().map(StoredEvent::sequenceNr).toList());
            entry.getValue().stream().filter(seq -> !stored.contains(seq)).sorted()
                    .forEach(seq -> lost.add(entry.getKey() + "#" + seq));
        }
        return lost;
    }

    private static Map<String, Set<Long>> copy(Map<String, Set<Long>> of) {
        Map<String, Set<Long>> copy = new ConcurrentHashMap<>();
        of.forEach((k, v) -> copy.put(k, new HashSet<>(v)));
        return copy;
    }

    private static long count(Map<String, Set<Long>> of) {
        return of.values().stream().mapToLong(Set::size).sum();
    }
}
