package dev.vireo.auth;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.auth.RoleBinding;
import dev.vireo.protocol.auth.RoleBindingEvent;
import dev.vireo.protocol.auth.RoleBindings;
import dev.vireo.protocol.vm.EventMeta;
import java.time.Clock;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The single writer of the cluster's role bindings: every grant and removal is an event of one log (who,
 * when, under which request), as a VM's history is; a cluster singleton on the control-plane members.
 */
public final class RoleBindingsEntity extends EventSourcedBehavior<RoleBindingsEntity.Command, RoleBindingEvent, RoleBindings> {

    public static final String PERSISTENCE_ID = "RoleBindings";

    public sealed interface Command extends CborSerializable {
    }

    /** Create or replace {@code binding}. */
    public record Grant(RoleBinding binding, String requestId, String principal, ActorRef<Changed> replyTo)
            implements Command {
    }

    /** Remove the binding {@code namespace/name} (the cluster's when {@code namespace} is null). */
    public record Remove(String namespace, String name, String requestId, String principal,
                         ActorRef<Changed> replyTo) implements Command {
    }

    public record Get(ActorRef<RoleBindings> replyTo) implements Command {
    }

    /** The bindings after the change; {@code existed}: whether the binding was there before it. */
    public record Changed(boolean existed, RoleBindings bindings) implements CborSerializable {
    }

    private final Clock clock;

    private RoleBindingsEntity(Clock clock) {
        super(PersistenceId.ofUniqueId(PERSISTENCE_ID),
                SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(5), 0.2));
        this.clock = clock;
    }

    /** The singleton (or, on a member that does not run it, a proxy to it). */
    public static ActorRef<Command> init(ActorSystem<?> system, String role) {
        Behavior<Command> entity = Behaviors.setup(context -> new RoleBindingsEntity(Clock.systemUTC()));
        return ClusterSingleton.get(system).init(SingletonActor.of(entity, "role-bindings")
                .withSettings(ClusterSingletonSettings.create(system).withRole(role)));
    }

    @Override
    public RoleBindings emptyState() {
        return RoleBindings.EMPTY;
    }

    @Override
    public CommandHandler<Command, RoleBindingEvent, RoleBindings> commandHandler() {
        return newCommandHandlerBuilder().forAnyState()
                .onCommand(Grant.class, (state, grant) -> {
                    boolean existed = state.get(grant.binding().namespace(), grant.binding().name()).isPresent();
                    return Effect().persist(new RoleBindingEvent.RoleBindingGranted(
                                    new EventMeta(clock.instant(), grant.requestId(), grant.principal()), grant.binding()))
                            .thenReply(grant.replyTo(), after -> new Changed(existed, after));
                })
                .onCommand(Remove.class, (state, remove) -> {
                    if (state.get(remove.namespace(), remove.name()).isEmpty()) {
                        return Effect().reply(remove.replyTo(), new Changed(false, state));
                    }
                    return Effect().persist(new RoleBindingEvent.RoleBindingRemoved(
                                    new EventMeta(clock.instant(), remove.requestId(), remove.principal()),
                                    remove.namespace(), remove.name()))
                            .thenReply(remove.replyTo(), after -> new Changed(true, after));
                })
                .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), state))
                .build();
    }

    @Override
    public EventHandler<RoleBindings, RoleBindingEvent> eventHandler() {
        return newEventHandlerBuilder().forAnyState().onAnyEvent(RoleBindings::apply);
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }
}
