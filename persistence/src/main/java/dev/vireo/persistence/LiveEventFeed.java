package dev.vireo.persistence;

import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.BufferOverflowException;
import org.apache.pekko.stream.OverflowStrategy;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.BroadcastHub;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One tail of the journal per JVM, broadcast to every subscriber, plus the join of a subscriber's
 * catch-up replay onto it.
 *
 * <p>The tail reads the tagged events above its offset each time a local writer signals a persist
 * ({@link JournalWrites}), and at least every {@code pollInterval}. The journal commits in offset order
 * ({@link JournalDatabase#requireSerialWrites}), so a read returns every event up to the newest one it
 * sees: no gap to wait out.
 *
 * <p>Why the join has no gap: the feed also broadcasts heartbeats, so a subscriber's first item
 * proves it is attached. Only then does it run one more catch-up query from its last offset. Every
 * event the feed emitted before the attachment was visible in the database, so that query returns
 * it; everything later arrives live. Overlaps are dropped by offset.
 */
final class LiveEventFeed {

    /** Events per query: a tail that finds a full page reads again at once. */
    static final int PAGE = 512;

    private sealed interface Item permits Event, Heartbeat {
    }

    private record Event(LoggedEvent event) implements Item {
    }

    private enum Heartbeat implements Item { BEAT }

    /**
     * Where a reader of pages is: the signal to wait for before reading again (null: read at once), or
     * {@code ended} once a catch-up has read up to the newest committed event.
     */
    private record Page(long offset, CompletableFuture<Void> wakeUp, boolean ended) {
    }

    private final JournalDatabase database;
    private final JournalWrites writes;
    /** Reads stop at what is on disk: a subscriber never sees an event a power cut could take back. */
    private final JournalForce force;
    private final String tag;
    private final Duration pollInterval;
    private final int subscriberBuffer;
    private final CatchUpGate catchUps;
    private final Source<Item, NotUsed> hub;

    /** @param startAfter where the feed starts (the max ordering when it is created) */
    LiveEventFeed(ActorSystem<?> system, JournalDatabase database, String tag, CompletionStage<Long> startAfter,
                  Duration pollInterval, Duration heartbeat, int subscriberBuffer, int concurrentCatchUps) {
        JournalDatabase.requireSerialWrites(system.settings().config());
        this.database = database;
        this.writes = JournalWrites.get(system);
        this.force = JournalForce.get(system);
        this.catchUps = new CatchUpGate(concurrentCatchUps);
        this.tag = tag;
        this.pollInterval = pollInterval;
        this.subscriberBuffer = subscriberBuffer;
        AtomicLong lastSeen = new AtomicLong(0);
        // A failed query (database hiccup) restarts where it left off; subscribers drop repeats by offset.
        Source<Item, NotUsed> events = RestartSource.onFailuresWithBackoff(
                RestartSettings.create(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2),
                () -> Source.completionStage(startAfter)
                        .flatMapConcat(start -> tail(Math.max(start, lastSeen.get())))
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

    /** Follows the journal: read, and after a short page wait for a persist or the poll interval, forever. */
    private Source<LoggedEvent, NotUsed> tail(long afterOffset) {
        return pages(afterOffset, true);
    }

    /**
     * The events above {@code afterOffset} up to the newest committed one, read page by page; each page's query
     * waits for a catch-up permit, and the next page is read only once the subscriber has taken this one.
     */
    private Source<LoggedEvent, NotUsed> catchUp(long afterOffset) {
        return pages(afterOffset, false);
    }

    /**
     * Tagged events above {@code afterOffset}, a page at a time. A short page means the newest committed
     * event was reached: without {@code follow} the source ends there.
     */
    private Source<LoggedEvent, NotUsed> pages(long afterOffset, boolean follow) {
        return Source.unfoldAsync(new Page(afterOffset, null, false), at -> at.ended()
                        ? CompletableFuture.completedFuture(Optional.<Pair<Page, List<LoggedEvent>>>empty())
                        : readOnce(at, follow))
                .mapConcat(page -> page);
    }

    private CompletionStage<Optional<Pair<Page, List<LoggedEvent>>>> readOnce(Page at, boolean follow) {
        CompletableFuture<Void> waited = at.wakeUp() == null ? CompletableFuture.completedFuture(null)
                : at.wakeUp().copy().completeOnTimeout(null, pollInterval.toMillis(), TimeUnit.MILLISECONDS);
        return waited.thenCompose(ignored -> {
            // taken before the read: a persist acknowledged during the read wakes the next one
            CompletableFuture<Void> nextWrite = writes.next();
            CompletionStage<List<LoggedEvent>> read = force.durableOrdering().thenCompose(durable -> follow
                    ? database.taggedAfter(tag, at.offset(), durable, PAGE)
                    : catchUps.query(() -> database.taggedAfter(tag, at.offset(), durable, PAGE)));
            return read.thenApply(page -> {
                long offset = page.isEmpty() ? at.offset() : page.get(page.size() - 1).offset();
                boolean caughtUp = page.size() < PAGE;
                Page next = new Page(offset, caughtUp && follow ? nextWrite : null, caughtUp && !follow);
                return Optional.of(Pair.create(next, page));
            });
        });
    }

    /** Events tagged with the tag with offset &gt; {@code afterOffset}, then live; strictly increasing offsets. */
    Source<LoggedEvent, NotUsed> from(long afterOffset) {
        return Source.fromMaterializer((mat, attributes) -> {
            AtomicLong cursor = new AtomicLong(afterOffset);
            return catchUp(afterOffset)
                    .concatLazy(Source.lazySource(() -> live(cursor)))
                    .filter(e -> advance(cursor, e));
        }).mapMaterializedValue(m -> NotUsed.getInstance());
    }

    private Source<LoggedEvent, NotUsed> live(AtomicLong cursor) {
        return hub
                .buffer(subscriberBuffer, OverflowStrategy.fail())
                .mapError(BufferOverflowException.class, e -> new SubscriberTooSlow(subscriberBuffer))
                .prefixAndTail(1)
                .flatMapConcat(attached -> catchUp(cursor.get())
                        .concat(Source.from(attached.first()).concat(attached.second())
                                .collectType(Event.class)
                                .map(Event::event)));
    }

    private static boolean advance(AtomicLong cursor, LoggedEvent e) {
        if (e.offset() <= cursor.get()) {
            return false;
        }
        cursor.set(e.offset());
        return true;
    }
}
