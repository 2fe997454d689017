package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.function.Predicate;

/** Polls a snapshot ({@code GET …/snapshots/SNAP}) until it says it is done, for {@code --wait}. */
final class SnapshotWait {

    private static final Duration POLL = Duration.ofMillis(300);

    private SnapshotWait() {
    }

    static JsonNode until(VireoClient client, String path, Predicate<JsonNode> done, Duration timeout, String what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode snap = client.get(path);
            if (done.test(snap)) {
                return snap;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new CommandFailure(1, "gave up after " + timeout.toSeconds() + " s waiting for " + what
                        + "; it is still " + snap.at("/status/phase").asText() + " (see vireo snapshots)");
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommandFailure(1, "interrupted while waiting for " + what);
            }
        }
    }
}
