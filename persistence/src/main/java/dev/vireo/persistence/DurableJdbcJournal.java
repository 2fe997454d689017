package dev.vireo.persistence;

import com.typesafe.config.Config;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.journal.JdbcAsyncWriteJournal;
import org.apache.pekko.persistence.journal.Tagged;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import scala.Function1;
import scala.collection.immutable.Seq;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.jdk.javaapi.FutureConverters;
import scala.runtime.BoxedUnit;
import scala.util.Failure;
import scala.util.Success;
import scala.util.Try;

/**
 * The embedded journal: pekko-persistence-jdbc's tables and its deletes, with a write path and a replay of its
 * own (plain JDBC, {@link JournalDatabase#replay} on {@link JournalReaders}). Every write of every entity goes to
 * one {@link JournalWriter}, which commits all the writes queued meanwhile in one transaction; a write is
 * acknowledged once a force of the file to stable storage covers it ({@link JournalForce}). A persisting entity
 * runs its replies and effects after the acknowledgement, so none leaves before its events are on disk.
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

    /** Threads that replay logs, each keeping a pooled connection (of 8; the writer keeps one more). */
    private static final int READERS = 4;

    /** Sharding's remember-entities store: {@code /sharding/<type>Shard/<shard id>}. */
    private static final String SHARDING = "/sharding/";

    private final JournalWriter writer;
    private final JournalDatabase database;
    private final JournalReaders readers;
    private final int replayBatch;
    private final Serialization serialization;
    /** The newest write not yet acknowledged, per persistence id: a recovery reads the highest sequence number after it. */
    private final Map<String, CompletableFuture<Void>> writing = new ConcurrentHashMap<>();

    public DurableJdbcJournal(Config config) {
        super(config);
        var system = Adapter.toTyped(context().system());
        this.database = new JournalDatabase(system);
        this.replayBatch = config.getInt("replayBatchSize");
        this.readers = new JournalReaders(database::connection, READERS);
        this.serialization = SerializationExtension.get(context().system());
        this.writer = new JournalWriter(database::connection, JournalForce.get(system), database.journalTable(),
                database.tagTable(), config.getInt("bufferSize")).start();
    }

    @Override
    public Future<Seq<Try<BoxedUnit>>> asyncWriteMessages(Seq<AtomicWrite> messages) {
        long now = System.currentTimeMillis();
        List<Try<BoxedUnit>> results = new ArrayList<>();
        List<CompletableFuture<Void>> written = new ArrayList<>();
        boolean rejected = false;
        String persistenceId = null;
        var each = messages.iterator();
        while (each.hasNext()) {
            AtomicWrite write = each.next();
            persistenceId = write.persistenceId();
            List<JournalWriter.Row> rows;
            try {
                rows = rows(write, now);
            } catch (RuntimeException e) {
                results.add(new Failure<>(e));
                rejected = true;
                continue;
            }
            results.add(new Success<>(BoxedUnit.UNIT));
            written.add(writer.write(rows, !forcedLater(write.persistenceId())));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(written.toArray(CompletableFuture[]::new));
        if (persistenceId != null) {
            String id = persistenceId;
            writing.put(id, all);
            all.whenComplete((ok, failure) -> writing.remove(id, all));
        }
        Seq<Try<BoxedUnit>> outcome = rejected ? CollectionConverters.asScala(results).toList()
                : scala.collection.immutable.List$.MODULE$.empty();
        return FutureConverters.asScala(all.thenApply(done -> outcome));
    }

    @Override
    public Future<Object> asyncReadHighestSequenceNr(String persistenceId, long fromSequenceNr) {
        CompletableFuture<Void> pending = writing.get(persistenceId);
        CompletionStage<Long> highest = pending == null ? highestSequenceNr(persistenceId)
                : pending.handle((ok, failure) -> null).thenCompose(after -> highestSequenceNr(persistenceId));
        return FutureConverters.asScala(highest.thenApply(Object.class::cast));
    }

    @Override
    public Future<BoxedUnit> asyncReplayMessages(String persistenceId, long fromSequenceNr, long toSequenceNr, long max,
                                                 Function1<PersistentRepr, BoxedUnit> replayed) {
        return FutureConverters.asScala(readers.read(c -> database.replay(c, persistenceId, fromSequenceNr,
                toSequenceNr, max, replayBatch, replayed::apply)).thenApply(done -> BoxedUnit.UNIT));
    }

    private CompletionStage<Long> highestSequenceNr(String persistenceId) {
        return readers.read(c -> database.highestSequenceNr(c, persistenceId));
    }

    @Override
    public void postStop() {
        writer.stop();
        readers.close();
        super.postStop();
    }

    private List<JournalWriter.Row> rows(AtomicWrite write, long now) {
        List<JournalWriter.Row> rows = new ArrayList<>(write.size());
        var each = write.payload().iterator();
        while (each.hasNext()) {
            PersistentRepr repr = each.next();
            Object payload = repr.payload();
            Set<String> tags = Set.of();
            if (payload instanceof Tagged tagged) {
                payload = tagged.payload();
                tags = Set.copyOf(CollectionConverters.asJava(tagged.tags()));
            }
            Serialized event = serialize(payload);
            Serialized meta = repr.metadata().isDefined() ? serialize(repr.metadata().get()) : null;
            rows.add(new JournalWriter.Row(repr.persistenceId(), repr.sequenceNr(), repr.writerUuid(), now,
                    repr.manifest(), event.bytes, event.serializerId, event.manifest, meta == null ? null : meta.bytes,
                    meta == null ? null : meta.serializerId, meta == null ? null : meta.manifest, tags));
        }
        return rows;
    }

    private record Serialized(byte[] bytes, int serializerId, String manifest) {
    }

    private Serialized serialize(Object payload) {
        Serializer serializer = serialization.findSerializerFor(payload);
        String manifest = Serializers.manifestFor(serializer, payload);
        byte[] bytes = serialization.serialize(payload).get();
        return new Serialized(bytes, serializer.identifier(), manifest);
    }

    /** Writes acknowledged at their commit: the next force, which any write that depends on them waits for, covers them. */
    static boolean forcedLater(String persistenceId) {
        return persistenceId.startsWith(SHARDING) && persistenceId.contains("Shard/");
    }
}
