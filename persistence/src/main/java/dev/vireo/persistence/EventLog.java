package dev.vireo.persistence;

import dev.vireo.protocol.vm.VmId;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.stream.javadsl.Source;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;

/**
 * The read side of the journal: a VM's history, its history up to an instant, and the global
 * stream of all VM events by offset. One per ActorSystem ({@link #get}), so the live stream is
 * polled once however many subscribers there are.
 */
public final class EventLog implements Extension {

    /**
     * Every event of the global stream carries this tag: each VM's events, and the nodes' events (persistence id
     * {@link #NODES_PERSISTENCE_ID}), told apart by persistence id.
     */
    public static final String VM_TAG = "vm";
    /** The log of the cluster's nodes (joined, not ready, lost, cordoned), on the global stream beside the VMs. */
    public static final String NODES_PERSISTENCE_ID = "Nodes";
    /** For {@link #stream(long)}: only events persisted from now on. */
    public static final long FROM_NOW = -1L;

    private final ActorSystem<?> system;
    private final JournalDatabase database;
    private volatile LiveEventFeed feed;

    private EventLog(ActorSystem<?> system) {
        this.system = system;
        this.database = new JournalDatabase(system);
    }

    public static EventLog get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /** All events of {@code persistenceId}, in order. */
    public CompletionStage<List<StoredEvent>> history(String persistenceId) {
        return database.eventsOf(persistenceId, 1L, Long.MAX_VALUE);
    }

    /** An entity's state as saved by its snapshotter, and the sequence number of the last event it includes. */
    public record Snapshot(long sequenceNr, Object state) {
    }

    /**
     * The newest snapshot of {@code persistenceId} saved in a millisecond before the one of {@code at}, if
     * any. Events are decided, then persisted, then snapshotted, so every event the snapshot includes was
     * decided before {@code at}: replaying from it gives the same state as replaying the log from the start,
     * without reading all of a long log (time travel).
     */
    public CompletionStage<Optional<Snapshot>> snapshotBefore(String persistenceId, Instant at) {
        return database.newestSnapshotBefore(persistenceId, at.toEpochMilli());
    }

    /** How many events {@link #historyAfter} reads per query: about what lies between two snapshots. */
    static final int HISTORY_CHUNK = 128;

    /**
     * The events of {@code persistenceId} after {@code afterSequenceNr}, in order, while {@code keep} holds.
     * Read in bounded chunks, so that a time-travel query that stops after a few events does not fetch and
     * deserialize a whole page of the events that follow.
     */
    public CompletionStage<List<StoredEvent>> historyAfter(String persistenceId, long afterSequenceNr,
                                                           Predicate<StoredEvent> keep) {
        return historyAfter(persistenceId, afterSequenceNr, keep, new java.util.ArrayList<>());
    }

    private CompletionStage<List<StoredEvent>> historyAfter(String persistenceId, long afterSequenceNr,
                                                            Predicate<StoredEvent> keep, List<StoredEvent> kept) {
        long to = afterSequenceNr + HISTORY_CHUNK;
        return database.eventsOf(persistenceId, afterSequenceNr + 1, to)
                .thenCompose(chunk -> {
                    for (StoredEvent e : chunk) {
                        if (!keep.test(e)) {
                            return CompletableFuture.completedFuture(List.copyOf(kept));
                        }
                        kept.add(e);
                    }
                    if (chunk.isEmpty() || chunk.get(chunk.size() - 1).sequenceNr() < to) {
                        return CompletableFuture.completedFuture(List.copyOf(kept));
                    }
                    return historyAfter(persistenceId, to, keep, kept);
                });
    }

    /**
     * All VM events with offset &gt; {@code afterOffset}, then live, in strictly increasing offset
     * order ({@code 0} replays everything; {@link #FROM_NOW} gives only events persisted after the
     * stream starts). Resuming from the last offset seen gives no gap and no duplicate. A subscriber
     * that falls more than {@code vireo.persistence.event-stream.subscriber-buffer} events behind
     * is failed with {@link SubscriberTooSlow}; it resumes from its last offset.
     */
    public Source<StoredEvent, NotUsed> stream(long afterOffset) {
        return streamWithNodes(afterOffset).filter(e -> e.persistenceId().startsWith(VmId.PERSISTENCE_PREFIX));
    }

    /** {@link #stream}, with the nodes' events ({@link #NODES_PERSISTENCE_ID}) in their place among the VMs' events. */
    public Source<StoredEvent, NotUsed> streamWithNodes(long afterOffset) {
        if (afterOffset < 0) {
            return Source.completionStageSource(database.maxOrdering().thenApply(now -> liveFeed().from(now)))
                    .mapMaterializedValue(m -> NotUsed.getInstance());
        }
        return liveFeed().from(afterOffset);
    }

    /** The persistence ids of all VMs, sorted (without sharding's internal ids). */
    public CompletionStage<List<String>> persistenceIds() {
        return database.persistenceIdsStartingWith(VmId.PERSISTENCE_PREFIX);
    }

    /**
     * The persistence ids of the VMs of {@code namespace}, sorted: read from the journal's key range of that
     * namespace, so that listing a small namespace does not read the ids of every VM.
     */
    public CompletionStage<List<String>> persistenceIds(String namespace) {
        return database.persistenceIdsStartingWith(VmId.PERSISTENCE_PREFIX + namespace + "/");
    }

    private LiveEventFeed liveFeed() {
        LiveEventFeed current = feed;
        if (current == null) {
            synchronized (this) {
                if (feed == null) {
                    var config = system.settings().config();
                    feed = new LiveEventFeed(system, database, VM_TAG, database.maxOrdering(),
                            config.getDuration("vireo.persistence.event-stream.poll-interval"),
                            config.getDuration("vireo.persistence.event-stream.heartbeat"),
                            config.getInt("vireo.persistence.event-stream.subscriber-buffer"),
                            config.getInt("vireo.persistence.event-stream.concurrent-catch-ups"));
                }
                current = feed;
            }
        }
        return current;
    }

    private static final class Id extends ExtensionId<EventLog> {
        static final Id INSTANCE = new Id();

        @Override
        public EventLog createExtension(ActorSystem<?> system) {
            return new EventLog(system);
        }
    }
}
