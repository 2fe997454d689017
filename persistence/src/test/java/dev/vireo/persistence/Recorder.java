package dev.vireo.persistence;

import dev.vireo.protocol.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;

import java.util.Set;

/** A test-only event-sourced actor: records texts, tagged like VM events; replies with the sequence number (= count). */
final class Recorder extends EventSourcedBehavior<Recorder.Record, Recorder.Recorded, Recorder.Count> {

    record Record(String text, ActorRef<Long> replyTo) {
    }

    record Recorded(String text) implements CborSerializable {
    }

    record Count(long value) implements CborSerializable {
    }

    private final JournalWrites writes;

    /** @param writes signalled after each persist, as VM entities do; null: the event stream finds the events by polling */
    static Behavior<Record> create(String persistenceId, JournalWrites writes) {
        return new Recorder(persistenceId, writes);
    }

    private Recorder(String persistenceId, JournalWrites writes) {
        super(PersistenceId.ofUniqueId(persistenceId));
        this.writes = writes;
    }

    @Override
    public Count emptyState() {
        return new Count(0);
    }

    @Override
    public CommandHandler<Record, Recorded, Count> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Record.class, (state, cmd) -> Effect().persist(new Recorded(cmd.text()))
                        .thenRun(s -> {
                            if (writes != null) {
                                writes.persisted();
                            }
                        })
                        .thenReply(cmd.replyTo(), Count::value))
                .build();
    }

    @Override
    public EventHandler<Count, Recorded> eventHandler() {
        return newEventHandlerBuilder().forAnyState()
                .onEvent(Recorded.class, (state, event) -> new Count(state.value() + 1))
                .build();
    }

    @Override
    public Set<String> tagsFor(Recorded event) {
        return Set.of(EventLog.VM_TAG);
    }
}
