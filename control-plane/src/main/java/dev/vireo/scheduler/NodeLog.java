package dev.vireo.scheduler;

import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.JournalWrites;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.NodeEvent;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The history of the cluster's nodes ({@link NodeEvent}: joined, ready, not ready, lost, cordoned), one log
 * written by the scheduler alone (it is this actor's parent, a cluster singleton), tagged for the event
 * stream. Its state is what must survive a restart of the control plane: which nodes exist and which are
 * cordoned; the parent hears it once recovered.
 */
public final class NodeLog extends EventSourcedBehavior<NodeLog.Command, NodeEvent, NodeLog.State> {

    public static final String PERSISTENCE_ID = EventLog.NODES_PERSISTENCE_ID;

    public sealed interface Command {
    }

    public record Record(NodeEvent event) implements Command {
    }

    /** Per node: whether it is cordoned, and whether it was lost last. */
    public record State(Map<String, Node> nodes) implements CborSerializable {

        public record Node(boolean cordoned, boolean lost) implements CborSerializable {
        }

        State apply(NodeEvent event) {
            Map<String, Node> next = new TreeMap<>(nodes);
            Node now = next.getOrDefault(event.node(), new Node(false, false));
            if (event instanceof NodeEvent.NodeCordoned) {
                now = new Node(true, now.lost());
            } else if (event instanceof NodeEvent.NodeUncordoned) {
                now = new Node(false, now.lost());
            } else if (event instanceof NodeEvent.NodeLost) {
                now = new Node(now.cordoned(), true);
            } else if (event instanceof NodeEvent.NodeJoined) {
                now = new Node(now.cordoned(), false);
            }
            next.put(event.node(), now);
            return new State(Map.copyOf(next));
        }

        Set<String> cordoned() {
            return nodes.entrySet().stream().filter(e -> e.getValue().cordoned()).map(Map.Entry::getKey)
                    .collect(java.util.stream.Collectors.toSet());
        }
    }

    private final ActorRef<State> recovered;
    private final JournalWrites journalWrites;

    public static Behavior<Command> create(ActorRef<State> recovered) {
        return Behaviors.setup(context -> new NodeLog(context, recovered));
    }

    private NodeLog(ActorContext<Command> context, ActorRef<State> recovered) {
        super(PersistenceId.ofUniqueId(PERSISTENCE_ID));
        this.recovered = recovered;
        this.journalWrites = JournalWrites.get(context.getSystem());
    }

    @Override
    public State emptyState() {
        return new State(Map.of());
    }

    @Override
    public CommandHandler<Command, NodeEvent, State> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Record.class, (state, record) -> Effect().persist(record.event())
                        .thenRun(s -> journalWrites.persisted()))
                .build();
    }

    @Override
    public EventHandler<State, NodeEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(State::apply);
    }

    @Override
    public SignalHandler<State> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), recovered::tell)
                .build();
    }

    /** The global stream's tag: subscribers of the event stream see the nodes' events among the VMs'. */
    @Override
    public Set<String> tagsFor(NodeEvent event) {
        return Set.of(EventLog.VM_TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }
}
