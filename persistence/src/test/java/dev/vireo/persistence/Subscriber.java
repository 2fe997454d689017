package dev.vireo.persistence;

import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/** A test subscriber to the event stream that keeps what it received. */
final class Subscriber implements AutoCloseable {

    final List<StoredEvent> received = new CopyOnWriteArrayList<>();
    private final UniqueKillSwitch killSwitch;
    final CompletionStage<Done> done;

    Subscriber(Source<StoredEvent, NotUsed> stream, ActorSystem<?> system) {
        var pair = stream.viaMat(KillSwitches.single(), Keep.right())
                .toMat(Sink.foreach(received::add), Keep.both())
                .run(system);
        killSwitch = pair.first();
        done = pair.second();
    }

    void awaitAtLeast(int count, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (received.size() < count) {
            if (done.toCompletableFuture().isCompletedExceptionally()) {
                TestJournal.await(done);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("received " + received.size() + " events, expected at least " + count);
            }
            sleep(10);
        }
    }

    List<Long> offsets() {
        return received.stream().map(StoredEvent::offset).toList();
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        killSwitch.shutdown();
    }
}
