package dev.vireo.auth;

import dev.vireo.protocol.auth.RoleBinding;
import dev.vireo.protocol.auth.RoleBindings;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This member's view of the role bindings, kept for the authorization of every request: read from the
 * {@link RoleBindingsEntity} every {@code refresh} (a change made through another control plane counts here
 * within that), and at once after a change made through this one.
 */
public final class Authorizer {

    private static final Logger log = LoggerFactory.getLogger(Authorizer.class);

    private final ActorSystem<?> system;
    private final ActorRef<RoleBindingsEntity.Command> entity;
    private final Duration timeout;
    private volatile CompletableFuture<RoleBindings> current;

    public Authorizer(ActorSystem<?> system, ActorRef<RoleBindingsEntity.Command> entity, Duration timeout,
                      Duration refresh) {
        this.system = system;
        this.entity = entity;
        this.timeout = timeout;
        this.current = read();
        system.scheduler().scheduleWithFixedDelay(refresh, refresh, this::refresh, system.executionContext());
    }

    /** The bindings as this member knows them (the first read may still be under way). */
    public CompletionStage<RoleBindings> bindings() {
        CompletableFuture<RoleBindings> known = current;
        if (known.isCompletedExceptionally()) {
            // the singleton was away (a restart, a failover): ask again rather than refuse from an error
            current = read();
            return current;
        }
        return known;
    }

    /** The bindings as known now, without waiting: null before the first read has answered. */
    public RoleBindings now() {
        CompletableFuture<RoleBindings> known = current;
        return known.isDone() && !known.isCompletedExceptionally() ? known.join() : null;
    }

    public CompletionStage<RoleBindingsEntity.Changed> grant(RoleBinding binding, String requestId, String principal) {
        return changed(AskPattern.ask(entity, replyTo -> new RoleBindingsEntity.Grant(binding, requestId, principal,
                replyTo), timeout, system.scheduler()));
    }

    public CompletionStage<RoleBindingsEntity.Changed> remove(String namespace, String name, String requestId,
                                                              String principal) {
        return changed(AskPattern.ask(entity, replyTo -> new RoleBindingsEntity.Remove(namespace, name, requestId,
                principal, replyTo), timeout, system.scheduler()));
    }

    private CompletionStage<RoleBindingsEntity.Changed> changed(CompletionStage<RoleBindingsEntity.Changed> change) {
        return change.thenApply(changed -> {
            current = CompletableFuture.completedFuture(changed.bindings());
            return changed;
        });
    }

    private void refresh() {
        read().whenComplete((bindings, failure) -> {
            RoleBindings known = now();
            // a read that left before a change made here may answer after it: never step back
            if (failure == null && (known == null || bindings.history().size() >= known.history().size())) {
                current = CompletableFuture.completedFuture(bindings);
            } else {
                log.debug("role bindings not refreshed: {}", failure.toString());
            }
        });
    }

    private CompletableFuture<RoleBindings> read() {
        return AskPattern.<RoleBindingsEntity.Command, RoleBindings>ask(entity, RoleBindingsEntity.Get::new, timeout,
                system.scheduler()).toCompletableFuture();
    }
}
