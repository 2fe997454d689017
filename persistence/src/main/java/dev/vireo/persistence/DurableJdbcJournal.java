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
 */
public final class DurableJdbcJournal extends JdbcAsyncWriteJournal {

    private final JournalForce force;

    public DurableJdbcJournal(Config config) {
        super(config);
        this.force = JournalForce.get(Adapter.toTyped(context().system()));
    }

    @Override
    public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
        int events = 0;
        var each = messages.iterator();
        while (each.hasNext()) {
            events += each.next().size();
        }
        int written = events;
        return FutureConverters.asScala(FutureConverters.asJava(super.asyncWriteMessages(messages))
                .thenCompose(results -> force.afterCommit(written).thenApply(forced -> results)));
    }
}
