package dev.vireo.persistence;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Bounds how many catch-up queries run at once: when hundreds of subscribers reconnect together
 * (a restart), their queries queue here instead of flooding the database and the journal's sequence actor.
 *
 * <p>A permit is held for one query (one page of a replay), never for a whole replay: a subscriber that stops
 * reading stops asking for pages and holds nothing, so a stalled replay costs only itself (hardening finding 4).
 */
final class CatchUpGate {

    private final Deque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int available;

    CatchUpGate(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("at least one concurrent catch-up is needed, got " + permits);
        }
        this.available = permits;
    }

    /** Runs {@code query} once a permit is free; the permit is returned as soon as the query's answer is there. */
    <T> CompletionStage<T> query(Supplier<CompletionStage<T>> query) {
        return acquire().thenCompose(granted -> {
            CompletionStage<T> answer;
            try {
                answer = query.get();
            } catch (RuntimeException e) {
                giveBack();
                return CompletableFuture.failedFuture(e);
            }
            return answer.whenComplete((result, failure) -> giveBack());
        });
    }

    private synchronized CompletableFuture<Void> acquire() {
        if (available > 0) {
            available--;
            return CompletableFuture.completedFuture(null);
        }
        var permit = new CompletableFuture<Void>();
        waiting.add(permit);
        return permit;
    }

    private void giveBack() {
        CompletableFuture<Void> next;
        synchronized (this) {
            next = waiting.poll();
            if (next == null) {
                available++;
                return;
            }
        }
        next.complete(null);
    }

    synchronized int available() {
        return available;
    }
}
