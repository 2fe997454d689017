package dev.vireo.persistence;

import dev.vireo.protocol.vm.EventMeta;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * A test-only VM log writer: records a text as a VM event (its requestId), tagged like VM events: the first
 * of a log creates the VM, the later ones update its spec (so that its generation counts them). Replies with
 * the sequence number.
 */
final class Recorder extends EventSourcedBehavior<Recorder.Record, VmEvent, VmState> {

    record Record(String text, ActorRef<Long> replyTo) {
    }

    static final VirtualMachineSpec SPEC = new VirtualMachineSpec(RunStrategy.Manual, null, null, null, null, null, null,
            null).withDefaults();

    private final VmId id;
    private final JournalWrites writes;
    private final int snapshotEvery;

    /** @param writes signalled after each persist, as VM entities do; null: the event stream finds the events by polling */
    static Behavior<Record> create(String persistenceId, JournalWrites writes) {
        return new Recorder(persistenceId, writes, 0);
    }

    /** As {@link #create(String, JournalWrites)}, with a snapshot every {@code snapshotEvery} events. */
    static Behavior<Record> create(String persistenceId, JournalWrites writes, int snapshotEvery) {
        return new Recorder(persistenceId, writes, snapshotEvery);
    }

    private Recorder(String persistenceId, JournalWrites writes, int snapshotEvery) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.id = persistenceId.startsWith(VmId.PERSISTENCE_PREFIX) ? VmId.fromPersistenceId(persistenceId)
                : new VmId("not", "a-vm");
        this.writes = writes;
        this.snapshotEvery = snapshotEvery;
    }

    /** The text an event was recorded for. */
    static String text(StoredEvent stored) {
        return stored.event().meta().requestId();
    }

    @Override
    public VmState emptyState() {
        return VmState.empty(id);
    }

    @Override
    public CommandHandler<Record, VmEvent, VmState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Record.class, (state, cmd) -> Effect().persist(event(state, cmd.text()))
                        .thenRun(s -> {
                            if (writes != null) {
                                writes.persisted();
                            }
                        })
                        .thenReply(cmd.replyTo(), VmState::version))
                .build();
    }

    private static VmEvent event(VmState state, String text) {
        EventMeta meta = new EventMeta(Instant.now(), text, "test");
        return state.exists() ? new VmEvent.SpecUpdated(meta, Map.of("text", text), SPEC)
                : new VmEvent.VmCreated(meta, "uid-" + text, Map.of(), SPEC);
    }

    @Override
    public EventHandler<VmState, VmEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(VmState::apply);
    }

    @Override
    public Set<String> tagsFor(VmEvent event) {
        return Set.of(EventLog.VM_TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return snapshotEvery > 0 ? RetentionCriteria.snapshotEvery(snapshotEvery, 100) : RetentionCriteria.disabled();
    }
}
