package dev.vireo.persistence;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CatchUpGateTest {

    static final ActorTestKit kit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        kit.shutdownTestKit();
    }

    @Test
    void atMostThePermittedQueriesRunAndEveryEndingReturnsItsPermit() {
        var gate = new CatchUpGate(2);
        var started = new AtomicInteger();
        List<UniqueKillSwitch> streams = java.util.stream.IntStream.range(0, 4)
                .mapToObj(i -> gate.through(() -> {
                            started.incrementAndGet();
                            return Source.<Integer>never();
                        })
                        .viaMat(KillSwitches.single(), Keep.right())
                        .to(Sink.ignore())
                        .run(kit.system()))
                .toList();
        eventually(() -> started.get() == 2);
        Subscriber.sleep(100);
        assertEquals(2, started.get(), "the others wait");

        streams.get(0).shutdown();
        eventually(() -> started.get() == 3);
        streams.get(3).shutdown(); // still waiting: must not leak a permit
        streams.get(1).shutdown();
        streams.get(2).shutdown();
        eventually(() -> gate.available() == 2);
        assertEquals(3, started.get());

        var result = gate.through(() -> Source.from(List.of(1, 2, 3))).runWith(Sink.seq(), kit.system());
        assertEquals(List.of(1, 2, 3), TestJournal.await(result));
        eventually(() -> gate.available() == 2);
    }

    private static void eventually(BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met in time");
            Subscriber.sleep(10);
        }
    }
}
