package dev.vireo.persistence;

import org.apache.pekko.NotUsed;
import org.apache.pekko.japi.function.Creator;
import org.apache.pekko.stream.javadsl.Source;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * Bounds how many catch-up queries run at once: when hundreds of subscribers reconnect together
 * (a restart), they queue here instead of flooding the database and the journal's sequence actor.
 */
final class CatchUpGate {

    private final Deque<CompletableFuture<NotUsed>> waiting = new ArrayDeque<>();
    private int available;

    CatchUpGate(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("at least one concurrent catch-up is needed, got " + permits);
        }
        this.available = permits;
    }

    /** {@code query} materialized once a permit is free; the permit is returned however the stream ends. */
    <T> Source<T, NotUsed> through(Creator<Source<T, NotUsed>> query) {
        return Source.fromMaterializer((mat, attributes) -> {
            CompletableFuture<NotUsed> permit = acquire();
            return Source.completionStage(permit)
                    .flatMapConcat(granted -> query.create())
                    .watchTermination((notUsed, done) -> {
                        done.whenComplete((d, failure) -> giveBack(permit));
                        return notUsed;
                    });
        }).mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private synchronized CompletableFuture<NotUsed> acquire() {
        if (available > 0) {
            available--;
            return CompletableFuture.completedFuture(NotUsed.getInstance());
        }
        var permit = new CompletableFuture<NotUsed>();
        waiting.add(permit);
        return permit;
    }

    private void giveBack(CompletableFuture<NotUsed> permit) {
        CompletableFuture<NotUsed> next;
        synchronized (this) {
            if (waiting.remove(permit)) {
                return; // cancelled while still waiting: it never held a permit
            }
            next = waiting.poll();
            if (next == null) {
                available++;
                return;
            }
        }
        next.complete(NotUsed.getInstance());
    }

    synchronized int available() {
        return available;
    }
}
