package dev.vireo.persistence;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The signal "the journal has new events" inside one JVM. Writers call {@link #persisted()} once the
 * journal acknowledged a write; the live event stream reads the journal at once instead of at its next
 * poll. The poll stays for writers that do not signal (another JVM on a shared database).
 */
public final class JournalWrites implements Extension {

    private final AtomicReference<CompletableFuture<Void>> next = new AtomicReference<>(new CompletableFuture<>());

    public static JournalWrites get(ActorSystem<?> system) {
        return Id.INSTANCE.apply(system);
    }

    /** Events were acknowledged by the journal (they are visible to a query started after this call). */
    public void persisted() {
        next.getAndSet(new CompletableFuture<>()).complete(null);
    }

    /** Completes at the first {@link #persisted()} after this call. */
    CompletableFuture<Void> next() {
        return next.get();
    }

    private static final class Id extends ExtensionId<JournalWrites> {
        static final Id INSTANCE = new Id();

        @Override
        public JournalWrites createExtension(ActorSystem<?> system) {
            return new JournalWrites();
        }
    }
}
