package dev.vireo.persistence;

import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Every read of the VM event log: one VM's history and its state at an instant, the stream of all VM events
 * by offset (catch-up, then live; with the nodes' events among them for the event stream), the VMs of a
 * namespace, and where the projections of the log have got to.
 * The journal in use implements it ({@link #get}); nothing outside the implementation knows its tables, its
 * plugin or its SQL. {@link EmbeddedEventLog} is the embedded H2 journal's; a Cassandra journal adds its own
 * beside it, chosen by {@code vireo.persistence.journal} ({@link Journals}).
 */
public interface EventLog {

    /**
     * Every event of the global stream carries this tag: each VM's events, and the nodes' events (persistence id
     * {@link #NODES_PERSISTENCE_ID}), told apart by persistence id.
     */
    String VM_TAG = "vm";
    /** The log of the cluster's nodes (joined, not ready, lost, cordoned), on the global stream beside the VMs. */
    String NODES_PERSISTENCE_ID = "Nodes";
    /** For {@link #stream(long)}: only events persisted from now on. */
    long FROM_NOW = -1L;

    /** The event log of the journal {@code system} is configured with; one per ActorSystem. */
    static EventLog get(ActorSystem<?> system) {
        return Journals.ID.apply(system).eventLog();
    }

    /** All events of {@code vm}, in order; kept after it is deleted. Empty if it never existed. */
    CompletionStage<List<StoredEvent>> history(VmId vm);

    /**
     * {@code vm} as it was at {@code at}: every event decided at or before that instant applied (from the
     * newest snapshot saved before it, so that a long log is not replayed from its start).
     */
    CompletionStage<VmState> stateAt(VmId vm, Instant at);

    /**
     * All VM events with offset &gt; {@code afterOffset}, then live, in strictly increasing offset order
     * ({@code 0} replays everything; {@link #FROM_NOW} gives only events persisted after the stream starts).
     * Resuming from the last offset seen gives no gap and no duplicate. A subscriber that falls too far behind
     * is failed with {@link SubscriberTooSlow}; it resumes from its last offset.
     */
    Source<StoredEvent, NotUsed> stream(long afterOffset);

    /** {@link #stream}, with the nodes' events in their place among the VMs' events. */
    Source<LoggedEvent, NotUsed> streamWithNodes(long afterOffset);

    /** The offset of the newest VM event acknowledged so far (0 when there is none). */
    CompletionStage<Long> newestOffset();

    /** The VMs of {@code namespace} (of all namespaces when null) that have a log, sorted; deleted ones too. */
    CompletionStage<List<VmId>> vms(String namespace);

    /** The offset of the last event {@code projection} handled, 0 when it handled none. */
    CompletionStage<Long> projectionOffset(String projection);

    CompletionStage<Done> saveProjectionOffset(String projection, long offset);

    /** Whether the journal answers (its tables are there): for readiness. */
    CompletionStage<Boolean> answers();
}
