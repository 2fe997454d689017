package dev.vireo.persistence;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatchUpGateTest {

    @Test
    void atMostThePermittedQueriesRunAndEveryAnswerReturnsItsPermit() {
        var gate = new CatchUpGate(2);
        var started = new AtomicInteger();
        List<CompletableFuture<Integer>> answers = new ArrayList<>();
        List<CompletionStage<Integer>> results = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            var answer = new CompletableFuture<Integer>();
            answers.add(answer);
            results.add(gate.query(() -> {
                started.incrementAndGet();
                return answer;
            }));
        }
        assertEquals(2, started.get(), "the others wait");
        assertEquals(0, gate.available());

        answers.get(0).complete(0);
        assertEquals(3, started.get(), "an answer frees its permit for the next query");
        answers.get(1).completeExceptionally(new IllegalStateException("database hiccup"));
        assertEquals(4, started.get(), "so does a failure");
        answers.get(2).complete(2);
        answers.get(3).complete(3);
        assertEquals(2, gate.available());
        assertEquals(3, TestJournal.await(results.get(3)));
        assertTrue(results.get(1).toCompletableFuture().isCompletedExceptionally());
    }

    @Test
    void aQueryThatThrowsReturnsItsPermit() {
        var gate = new CatchUpGate(1);
        var failed = gate.query(() -> {
            throw new IllegalStateException("no connection");
        });
        assertTrue(failed.toCompletableFuture().isCompletedExceptionally());
        assertEquals(1, gate.available());
    }
}
