package dev.vireo.vm;

import dev.vireo.protocol.api.RequestIds;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.persistence.EventLog;
import dev.vireo.persistence.JournalWrites;
import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.Decision;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmEffect;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * The single writer of one VM: a thin adapter that asks {@link VmDecider} what a command means,
 * persists the events, replies, and then carries out the effects the decision comes with.
 */
public final class VirtualMachineEntity extends EventSourcedBehavior<VirtualMachineEntity.Command, VmEvent, VmState> {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "VirtualMachine");

    public sealed interface Command extends CborSerializable {
    }

    /** Run {@code command}; {@code replyTo} may be null for system commands that need no answer. */
    public record Execute(VmCommand command, ActorRef<Reply> replyTo) implements Command {
    }

    public record GetState(ActorRef<Reply> replyTo) implements Command {
    }

    /**
     * Sent to itself by an entity that recovered with nothing to resume (of {@code version}): once the commands
     * that woke it are answered, a VM with no work leaves memory and is no longer remembered, so that a restart
     * recovers only the VMs that have work, each other VM on demand.
     */
    public record LeaveIfIdle(long version) implements Command {
    }

    public sealed interface Reply extends CborSerializable {
    }

    /** The command was accepted (maybe as a no-op); {@code state} is the VM after it. */
    public record Accepted(VmState state) implements Reply {
    }

    public record Refused(Rejection rejection) implements Reply {
    }

    /** Where the effects of persisted events go. */
    public interface Outbox {
        void carryOut(VmEffect effect, ActorContext<Command> context, TimerScheduler<Command> timers);
    }

    private final VmId id;
    private final ActorContext<Command> context;
    private final TimerScheduler<Command> timers;
    private final VmDecider decider;
    private final Outbox outbox;
    private final Clock clock;
    private final int snapshotEvery;
    private final int snapshotsKept;
    private final VireoMetrics metrics;
    private final ActorRef<ClusterSharding.ShardCommand> shard;
    /** Told after each persist, so that the event stream reads the new events at once. */
    private final JournalWrites journalWrites;

    public static Behavior<Command> create(VmId id, VmDecider decider, Outbox outbox, Clock clock, int snapshotEvery,
                                           VireoMetrics metrics) {
        return create(id, decider, outbox, clock, snapshotEvery, 2, metrics);
    }

    /** Keeps the newest {@code snapshotsKept} snapshots: time travel starts from the newest one before its instant. */
    public static Behavior<Command> create(VmId id, VmDecider decider, Outbox outbox, Clock clock, int snapshotEvery,
                                           int snapshotsKept, VireoMetrics metrics) {
        return create(id, decider, outbox, clock, snapshotEvery, snapshotsKept, metrics, null);
    }

    /**
     * @param shard where to passivate: a VM that does not exist (never did, or deleted) leaves memory and is
     *              no longer remembered, so asking about unknown names cannot pile up entities; null: never
     */
    public static Behavior<Command> create(VmId id, VmDecider decider, Outbox outbox, Clock clock, int snapshotEvery,
                                           int snapshotsKept, VireoMetrics metrics,
                                           ActorRef<ClusterSharding.ShardCommand> shard) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> new VirtualMachineEntity(id, context, timers,
                decider, outbox, clock, snapshotEvery, snapshotsKept, metrics, shard)));
    }

    private VirtualMachineEntity(VmId id, ActorContext<Command> context, TimerScheduler<Command> timers,
                                 VmDecider decider, Outbox outbox, Clock clock, int snapshotEvery,
                                 int snapshotsKept, VireoMetrics metrics, ActorRef<ClusterSharding.ShardCommand> shard) {
        super(PersistenceId.ofUniqueId(id.persistenceId()),
                SupervisorStrategy.restartWithBackoff(java.time.Duration.ofMillis(200), java.time.Duration.ofSeconds(5), 0.1));
        this.id = id;
        this.context = context;
        this.timers = timers;
        this.decider = decider;
        this.outbox = outbox;
        this.clock = clock;
        this.snapshotEvery = snapshotEvery;
        this.snapshotsKept = snapshotsKept;
        this.metrics = metrics;
        this.shard = shard;
        this.journalWrites = JournalWrites.get(context.getSystem());
    }

    @Override
    public VmState emptyState() {
        return VmState.empty(id);
    }

    @Override
    public CommandHandler<Command, VmEvent, VmState> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Execute.class, this::execute)
                .onCommand(GetState.class, (state, cmd) -> Effect().none().thenRun(s -> {
                    cmd.replyTo().tell(new Accepted(s));
                    passivateIfAbsent(s);
                }))
                .onCommand(LeaveIfIdle.class, (state, cmd) -> Effect().none().thenRun(s -> {
                    if (shard != null && isIdle(s)) {
                        shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
                    }
                }))
                .build();
    }

    private org.apache.pekko.persistence.typed.javadsl.Effect<VmEvent, VmState> execute(VmState state, Execute cmd) {
        Decision decision = decider.decide(state, cmd.command(), clock.instant());
        if (decision instanceof Decision.Rejected rejected) {
            context.getLog().info("{} {} refused: {} [request {}]", id, name(cmd.command()),
                    rejected.rejection().message(), cmd.command().requestId());
            return Effect().none().thenRun(s -> {
                reply(cmd, new Refused(rejected.rejection()));
                passivateIfAbsent(s);
            });
        }
        Decision.Accepted accepted = (Decision.Accepted) decision;
        List<VmEvent> events = accepted.events();
        if (events.isEmpty()) {
            // nothing to record, but maybe something to do: a question asked on (the source said the domain left it:
            // the target is asked), a reservation no longer wanted given back
            return Effect().none().thenRun(s -> {
                for (VmEffect effect : accepted.effects()) {
                    outbox.carryOut(effect, context, timers);
                }
                reply(cmd, new Accepted(s));
                passivateIfAbsent(s);
            });
        }
        return Effect().persist(events).thenRun(after -> {
            journalWrites.persisted();
            metrics.eventsPersisted(events.size());
            logTransition(state, after, events, cmd.command());
            for (VmEffect effect : accepted.effects()) {
                outbox.carryOut(effect, context, timers);
            }
            reply(cmd, new Accepted(after));
            passivateIfAbsent(after);
        });
    }

    private void logTransition(VmState before, VmState after, List<VmEvent> events, VmCommand command) {
        String types = String.join(",", events.stream().map(VmEvent::typeOf).toList());
        if (before.phase() != after.phase() || before.exists() != after.exists()) {
            context.getLog().info("{} {} -> {} ({}) by {} [request {}]", id,
                    before.exists() ? before.phase() : "absent", after.exists() ? after.phase() : "deleted", types,
                    command.principal(), command.requestId());
        } else {
            context.getLog().info("{} {} ({}) by {} [request {}]", id, after.phase(), types, command.principal(),
                    command.requestId());
        }
    }

    private void passivateIfAbsent(VmState state) {
        if (shard != null && !state.exists()) {
            shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
        }
    }

    /** Nothing to resume and nothing pending: what a recovery of it would start is nothing. */
    private boolean isIdle(VmState state) {
        return !state.exists() || decider.onRecovery(state, "idle-check").isEmpty();
    }

    private static String name(VmCommand command) {
        return command.getClass().getSimpleName();
    }

    private static void reply(Execute cmd, Reply reply) {
        if (cmd.replyTo() != null) {
            cmd.replyTo().tell(reply);
        }
    }

    @Override
    public EventHandler<VmState, VmEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(VmState::apply);
    }

    @Override
    public SignalHandler<VmState> signalHandler() {
        return newSignalHandlerBuilder()
                .onSignal(RecoveryCompleted.instance(), state -> {
                    if (state.exists()) {
                        metrics.vmRecovered();
                    }
                    List<VmEffect> effects = decider.onRecovery(state, RequestIds.RECOVERY + UUID.randomUUID().toString().substring(0, 8));
                    if (!effects.isEmpty()) {
                        context.getLog().info("{} recovered as {} at incarnation {} on {}: resuming its work", id,
                                state.phase(), state.incarnation(), state.node());
                    }
                    effects.forEach(effect -> outbox.carryOut(effect, context, timers));
                    if (effects.isEmpty() && state.exists()) {
                        // behind the commands that woke it, if any: they are answered before it leaves
                        context.getSelf().tell(new LeaveIfIdle(state.version()));
                    }
                })
                .build();
    }

    @Override
    public Set<String> tagsFor(VmEvent event) {
        return Set.of(EventLog.VM_TAG);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(snapshotEvery, snapshotsKept);
    }
}
