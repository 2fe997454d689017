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

    /**
     * The scheduler's answer to the placement a held decision asked for ({@link Outbox#placeFor}); an answer no
     * decision waits for is taken as if it had come through sharding.
     */
    public record PlacementAnswered(VmCommand answer) implements Command {
    }

    /** The scheduler did not answer a held decision's placement in time: it is persisted without it. */
    public record PlacementNotAnswered(long incarnation) implements Command {
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

        /**
         * Asks for {@code placement} before the events that ask for it are persisted, the answer to go to
         * {@code answerTo}; false: this outbox cannot, and the placement is asked for once they are persisted.
         */
        default boolean placeFor(VmEffect.RequestPlacement placement, ActorRef<VmCommand> answerTo) {
            return false;
        }
    }

    /**
     * How long a decision that asks for a placement is held for the scheduler's answer, so that the placement is
     * persisted with it (one write and one force instead of two in a row); after it, the decision is persisted
     * alone and the placement comes as before.
     */
    static final java.time.Duration PLACEMENT_WAIT = java.time.Duration.ofSeconds(2);
    private static final String PLACEMENT_TIMER = "placement-answer";

    /** A decision held until the scheduler answers the placement it asks for. */
    private record Held(Execute cmd, VmState before, Decision.Accepted decision, VmEffect.RequestPlacement placement) {
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
    /** Where the scheduler answers a held decision's placement; made at the first (a VM at rest holds none). */
    private ActorRef<VmCommand> placementAnswers;
    /** The decision waiting for its placement, if any; commands wait meanwhile (stashed). */
    private Held held;

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
        return newCommandHandlerBuilder().forAnyState().onAnyCommand(this::onCommand);
    }

    private org.apache.pekko.persistence.typed.javadsl.Effect<VmEvent, VmState> onCommand(VmState state, Command command) {
        if (command instanceof PlacementAnswered answered) {
            return placementAnswered(state, answered.answer());
        }
        if (command instanceof PlacementNotAnswered notAnswered) {
            return placementNotAnswered(notAnswered);
        }
        if (held != null) {
            return Effect().stash(); // after the held decision, in order
        }
        if (command instanceof Execute cmd) {
            return execute(state, cmd);
        }
        if (command instanceof GetState cmd) {
            return Effect().none().thenRun(s -> {
                cmd.replyTo().tell(new Accepted(s));
                passivateIfAbsent(s);
            });
        }
        if (command instanceof LeaveIfIdle) {
            return Effect().none().thenRun(s -> {
                if (shard != null && isIdle(s)) {
                    shard.tell(new ClusterSharding.Passivate<>(context.getSelf()));
                }
            });
        }
        return Effect().unhandled();
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
        VmEffect.RequestPlacement placement = onlyPlacement(accepted.effects());
        if (placement != null && outbox.placeFor(placement, placementAnswers())) {
            held = new Held(cmd, state, accepted, placement);
            timers.startSingleTimer(PLACEMENT_TIMER, new PlacementNotAnswered(placement.incarnation()), PLACEMENT_WAIT);
            return Effect().none();
        }
        return persist(state, cmd, events, accepted.effects(), null);
    }

    /**
     * Persists {@code events}, then logs, carries out {@code effects} and replies: with the VM after them, or
     * after the first {@code replyAfter} of them (a held decision answers as it would have without its placement).
     */
    private org.apache.pekko.persistence.typed.javadsl.EffectBuilder<VmEvent, VmState> persist(
            VmState before, Execute cmd, List<VmEvent> events, List<VmEffect> effects, Integer replyAfter) {
        return Effect().persist(events).thenRun(after -> {
            journalWrites.persisted();
            metrics.eventsPersisted(events.size());
            logTransition(before, after, events, cmd.command());
            for (VmEffect effect : effects) {
                outbox.carryOut(effect, context, timers);
            }
            reply(cmd, new Accepted(replyAfter == null ? after : applied(before, events.subList(0, replyAfter))));
            passivateIfAbsent(after);
        });
    }

    private ActorRef<VmCommand> placementAnswers() {
        if (placementAnswers == null) {
            placementAnswers = context.messageAdapter(VmCommand.class, PlacementAnswered::new);
        }
        return placementAnswers;
    }

    /** The one placement a decision asks for, if it asks for exactly one. */
    private static VmEffect.RequestPlacement onlyPlacement(List<VmEffect> effects) {
        List<VmEffect> placements = effects.stream().filter(e -> e instanceof VmEffect.RequestPlacement).toList();
        return placements.size() == 1 ? (VmEffect.RequestPlacement) placements.get(0) : null;
    }

    private static VmState applied(VmState state, List<VmEvent> events) {
        for (VmEvent event : events) {
            state = state.apply(event);
        }
        return state;
    }

    /**
     * The held decision's placement is known: its events and the placement's are persisted together (the
     * decider decides the answer on the VM as the held events leave it, exactly as when it came later).
     */
    private org.apache.pekko.persistence.typed.javadsl.Effect<VmEvent, VmState> placementAnswered(VmState state,
                                                                                                VmCommand answer) {
        if (held == null) {
            return execute(state, new Execute(answer, null)); // as if through sharding
        }
        if (!answers(held.placement(), answer)) {
            return Effect().stash();
        }
        Held h = held;
        held = null;
        timers.cancel(PLACEMENT_TIMER);
        List<VmEvent> first = h.decision().events();
        List<VmEffect> rest = h.decision().effects().stream().filter(e -> e != h.placement()).toList();
        Decision second = decider.decide(applied(h.before(), first), answer, clock.instant());
        if (!(second instanceof Decision.Accepted then)) {
            return persist(h.before(), h.cmd(), first, h.decision().effects(), null).thenUnstashAll();
        }
        List<VmEvent> events = new java.util.ArrayList<>(first);
        events.addAll(then.events());
        List<VmEffect> effects = new java.util.ArrayList<>(rest);
        effects.addAll(then.effects());
        return persist(h.before(), h.cmd(), events, effects, first.size()).thenUnstashAll();
    }

    private static boolean answers(VmEffect.RequestPlacement placement, VmCommand answer) {
        return answer instanceof VmCommand.PlacementSucceeded s && s.incarnation() == placement.incarnation()
                || answer instanceof VmCommand.PlacementFailed f && f.incarnation() == placement.incarnation();
    }

    private org.apache.pekko.persistence.typed.javadsl.Effect<VmEvent, VmState> placementNotAnswered(
            PlacementNotAnswered notAnswered) {
        if (held == null || held.placement().incarnation() != notAnswered.incarnation()) {
            return Effect().none();
        }
        Held h = held;
        held = null;
        context.getLog().info("{} placement {} not answered within {}: persisting without it [request {}]", id,
                notAnswered.incarnation(), PLACEMENT_WAIT, h.cmd().command().requestId());
        // the placement is asked for again once persisted; the scheduler answers the same incarnation alike
        return persist(h.before(), h.cmd(), h.decision().events(), h.decision().effects(), null).thenUnstashAll();
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
