package dev.vireo.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The journal's forces (fsyncs) between two reads of the server's metrics, and the machine's limit: how many
 * forced 4 KiB writes a second its disk takes, measured where the benchmark keeps its data.
 */
record JournalForces(long forces, long events) {

    static JournalForces of(ApiClient api) throws Exception {
        return new JournalForces(api.metric("vireo_journal_forces_total"), api.metric("vireo_journal_forced_events_total"));
    }

    /** What happened from this reading until now. */
    JournalForces until(ApiClient api) throws Exception {
        JournalForces now = of(api);
        return new JournalForces(now.forces - forces, now.events - events);
    }

    double eventsPerForce() {
        return forces == 0 ? 0 : (double) events / forces;
    }

    /** One writer, one 4 KiB write then an fdatasync, for a second, in the temporary directory. */
    static double diskForcedWritesPerSecond() {
        try {
            Path file = Files.createTempFile("vireo-bench-fsync-", ".probe");
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                ByteBuffer page = ByteBuffer.allocate(4096);
                long n = 0;
                long start = System.nanoTime();
                while (System.nanoTime() - start < 1_000_000_000L) {
                    page.clear();
                    ch.write(page, (n % 256) * 4096);
                    ch.force(false);
                    n++;
                }
                return n * 1e9 / (System.nanoTime() - start);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            return -1;
        }
    }
}
