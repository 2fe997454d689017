package dev.vireo.persistence;

import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;

/**
 * The event log of the embedded journal (pekko-persistence-jdbc on one H2 file), read with plain JDBC on the
 * journal's own connection pool ({@link JournalDatabase}, the only class that knows the plugin's tables).
 *
 * <p>The live stream needs the journal to commit in offset order ({@code jdbc-journal.parallelism = 1}, set in
 * vireo-persistence.conf and checked at start): then "every event above my offset" never skips one whose
 * insert is still running, and the stream has no gaps to wait out. One tail of the journal per ActorSystem
 * is shared by every subscriber.
 */
final class EmbeddedEventLog implements EventLog {

    /** How many events {@link #historyAfter} reads per query: about what lies between two snapshots. */
    static final int HISTORY_CHUNK = 128;

    private final ActorSystem<?> system;
    private final JournalDatabase database;
    /** Reads stop at what is on disk: history never shows an event a power cut could take back. */
    private final JournalForce force;
    private volatile LiveEventFeed feed;

    EmbeddedEventLog(ActorSystem<?> system) {
        this.system = system;
        this.database = new JournalDatabase(system);
        this.force = JournalForce.get(system);
    }

    @Override
    public CompletionStage<List<StoredEvent>> history(VmId vm) {
        return force.durableOrdering().thenCompose(durable ->
                database.eventsOf(vm.persistenceId(), 1L, Long.MAX_VALUE, durable));
    }

    @Override
    public CompletionStage<VmState> stateAt(VmId vm, Instant at) {
        return snapshotBefore(vm, at).thenCompose(snapshot -> {
            VmState from = snapshot.map(Snapshot::state).orElseGet(() -> VmState.empty(vm));
            return historyAfter(vm, from.version(), e -> !e.event().meta().timestamp().isAfter(at))
                    .thenApply(events -> {
                        VmState state = from;
                        for (StoredEvent stored : events) {
                            state = state.apply(stored.event());
                        }
                        return state;
                    });
        });
    }

    /** A VM's state as its entity saved it, and the sequence number of the last event it includes. */
    record Snapshot(long sequenceNr, VmState state) {
    }

    /**
     * The newest snapshot of {@code vm} saved in a millisecond before the one of {@code at}, if any. Events are
     * decided, then persisted, then snapshotted, so every event the snapshot includes was decided before
     * {@code at}: replaying from it gives the same state as replaying the log from the start.
     */
    CompletionStage<Optional<Snapshot>> snapshotBefore(VmId vm, Instant at) {
        return database.newestSnapshotBefore(vm.persistenceId(), epochMillisWithin(at));
    }

    /** {@code at} in epoch milliseconds; instants beyond what a long holds are the farthest past or future. */
    private static long epochMillisWithin(Instant at) {
        try {
            return at.toEpochMilli();
        } catch (ArithmeticException e) {
            return at.isBefore(Instant.EPOCH) ? Long.MIN_VALUE : Long.MAX_VALUE;
        }
    }

    /**
     * The events of {@code vm} after {@code afterSequenceNr}, in order, while {@code keep} holds. Read in bounded
     * chunks, so that a time-travel query that stops after a few events does not fetch and deserialize a whole
     * page of the events that follow.
     */
    CompletionStage<List<StoredEvent>> historyAfter(VmId vm, long afterSequenceNr, Predicate<StoredEvent> keep) {
        return historyAfter(vm.persistenceId(), afterSequenceNr, keep, new ArrayList<>());
    }

    private CompletionStage<List<StoredEvent>> historyAfter(String persistenceId, long afterSequenceNr,
                                                            Predicate<StoredEvent> keep, List<StoredEvent> kept) {
        long to = afterSequenceNr + HISTORY_CHUNK;
        return force.durableOrdering()
                .thenCompose(durable -> database.eventsOf(persistenceId, afterSequenceNr + 1, to, durable))
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

    @Override
    public Source<StoredEvent, NotUsed> stream(long afterOffset) {
        return streamWithNodes(afterOffset).collectType(StoredEvent.class);
    }

    @Override
    public Source<LoggedEvent, NotUsed> streamWithNodes(long afterOffset) {
        if (afterOffset < 0) {
            // new events only: those above the durable horizon, which nobody has been shown yet. Known without a
            // query (a subscriber each asked the journal for its newest tagged event: 5% of the server's CPU in
            // the sse benchmark's profile)
            return Source.completionStageSource(force.durableOrdering().thenApply(now -> liveFeed().from(now)))
                    .mapMaterializedValue(m -> NotUsed.getInstance());
        }
        return liveFeed().from(afterOffset);
    }

    @Override
    public CompletionStage<Long> newestOffset() {
        return database.newestTagged(VM_TAG, VmId.PERSISTENCE_PREFIX);
    }

    @Override
    public CompletionStage<List<VmId>> vms(String namespace) {
        String prefix = VmId.PERSISTENCE_PREFIX + (namespace == null ? "" : namespace + "/");
        // one key range of the journal: listing a small namespace does not read the ids of every VM
        return database.persistenceIdsStartingWith(prefix)
                .thenApply(ids -> ids.stream().map(VmId::fromPersistenceId).toList());
    }

    @Override
    public CompletionStage<Long> projectionOffset(String projection) {
        return database.projectionOffset(projection);
    }

    @Override
    public CompletionStage<Done> saveProjectionOffset(String projection, long offset) {
        return database.saveProjectionOffset(projection, offset);
    }

    @Override
    public CompletionStage<Boolean> answers() {
        return CompletableFuture.supplyAsync(() -> {
            JournalSchema.verify(database);
            return true;
        }, database.blocking()).exceptionally(failure -> false);
    }

    private LiveEventFeed liveFeed() {
        LiveEventFeed current = feed;
        if (current == null) {
            synchronized (this) {
                if (feed == null) {
                    var config = system.settings().config();
                    feed = new LiveEventFeed(system, database, VM_TAG, force.durableOrdering(),
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
}
