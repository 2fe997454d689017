package dev.vireo.persistence;

import com.typesafe.config.Config;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import scala.util.Try;

/**
 * pekko-persistence-jdbc's journal, acknowledging a write only once it is on stable storage: the plugin commits
 * (a batch of queued writes per transaction), then the write waits for the next group force
 * ({@link JournalForce}). A persisting entity runs its replies and effects after the acknowledgement, so none
 * leaves before its events are on disk. The plugin's writer goes on to the next batch while a force runs.
 *
 * <p>One exception: sharding's remembered entities ({@link #forcedLater}) are acknowledged once committed. A
 * shard remembers an entity before it starts it, so each new VM paid a whole force before its first command
 * (one of the four forces in a row of a VM's start). What a power cut may take from them is harmless: the
 * journal commits in order, in one file, so the force that acknowledges any later event of that entity covers
 * its entry too; an entry not covered belongs to an entity that has acknowledged nothing since (a VM whose
 * creation was not answered, or one that only answered a read and leaves memory), or is a "stopped" entry whose
 * loss makes a restart wake a VM that then finds it has no work and leaves again.
 */
public final class DurableJdbcJournal extends JdbcAsyncWriteJournal {

    /** Sharding's remember-entities store: {@code /sharding/<type>Shard/<shard id>}. */
    private static final String SHARDING = "/sharding/";

    private final JournalForce force;

    public DurableJdbcJournal(Config config) {
        super(config);
        this.force = JournalForce.get(Adapter.toTyped(context().system()));
    }

    @Override
    public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
        int events = 0;
        boolean mustForce = false;
        var each = messages.iterator();
        while (each.hasNext()) {
            AtomicWrite write = each.next();
            events += write.size();
            mustForce |= !forcedLater(write.persistenceId());
        }
        if (!mustForce) {
            return super.asyncWriteMessages(messages);
        }
        int written = events;
        return FutureConverters.asScala(FutureConverters.asJava(super.asyncWriteMessages(messages))
                .thenCompose(results -> force.afterCommit(written).thenApply(forced -> results)));
    }

    /** Writes acknowledged at their commit: the next force, which any write that depends on them waits for, covers them. */
    static boolean forcedLater(String persistenceId) {
        return persistenceId.startsWith(SHARDING) && persistenceId.contains("Shard/");
    }
}
