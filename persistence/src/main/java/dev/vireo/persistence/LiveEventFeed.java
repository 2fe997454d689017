package dev.vireo.persistence;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One eventsByTag query per JVM, broadcast to every subscriber, plus the join of a subscriber's
 * catch-up replay onto it.
 *
 * <p>Why the join has no gap: the feed also broadcasts heartbeats, so a subscriber's first item
 * proves it is attached. Only then does it run one more catch-up query from its last offset. Every
 * event the feed emitted before the attachment was visible in the database, so that query (which
 * reads up to the database's max ordering at its start) returns it; everything later arrives live.
 * Overlaps are dropped by offset.
 */
final class LiveEventFeed {

    private sealed interface Item permits Event, Heartbeat {
    }

    private record Event(StoredEvent event) implements Item {
    }

    private enum Heartbeat implements Item { BEAT }

    private final JdbcReadJournal journal;
    private final String tag;
    private final int subscriberBuffer;
    private final CatchUpGate catchUps;
    private final Source<Item, NotUsed> hub;

    /** @param startAfter where the feed starts (the max ordering when it is created) */
    LiveEventFeed(ActorSystem<?> system, JdbcReadJournal journal, String tag, CompletionStage<Long> startAfter,
                  Duration heartbeat, int subscriberBuffer, int concurrentCatchUps) {
        this.journal = journal;
        this.catchUps = new CatchUpGate(concurrentCatchUps);
        this.tag = tag;
        this.subscriberBuffer = subscriberBuffer;
        AtomicLong lastSeen = new AtomicLong(0);
        // A failed query (database hiccup) restarts where it left off; subscribers drop repeats by offset.
        Source<Item, NotUsed> events = RestartSource.onFailuresWithBackoff(
                RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2),
                () -> Source.completionStage(startAfter)
                        .flatMapConcat(start -> journal.eventsByTag(tag, Offset.sequence(Math.max(start, lastSeen.get()))))
                        .map(StoredEvent::of)
                        .map(e -> {
                            lastSeen.set(e.offset());
                            return (Item) new Event(e);
                        }));
        this.hub = events
                .merge(Source.tick(Duration.ZERO, heartbeat, (Item) Heartbeat.BEAT))
                .toMat(BroadcastHub.of(Item.class, 256), Keep.right())
                .run(system);
        // Keeps the feed flowing while nobody listens, so that it never replays stale items.
        hub.runWith(Sink.ignore(), system);
    }

    /** Events tagged with the tag with offset &gt; {@code afterOffset}, then live; strictly increasing offsets. */
    Source<StoredEvent, NotUsed> from(long afterOffset) {
        return Source.fromMaterializer((mat, attributes) -> {
            AtomicLong cursor = new AtomicLong(afterOffset);
            return catchUp(afterOffset)
                    .concatLazy(Source.lazySource(() -> live(cursor)))
                    .filter(e -> advance(cursor, e));
        }).mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private Source<StoredEvent, NotUsed> live(AtomicLong cursor) {
        return hub
                .buffer(subscriberBuffer, OverflowStrategy.fail())
                .mapError(BufferOverflowException.class, e -> new SubscriberTooSlow(subscriberBuffer))
                .prefixAndTail(1)
                .flatMapConcat(attached -> catchUp(cursor.get())
                        .concat(Source.from(attached.first()).concat(attached.second())
                                .collectType(Event.class)
                                .map(Event::event)));
    }

    private Source<StoredEvent, NotUsed> catchUp(long afterOffset) {
        return catchUps.through(() -> journal.currentEventsByTag(tag, Offset.sequence(afterOffset)).map(StoredEvent::of));
    }

    private static boolean advance(AtomicLong cursor, StoredEvent e) {
        if (e.offset() <= cursor.get()) {
            return false;
        }
        cursor.set(e.offset());
        return true;
    }
}
