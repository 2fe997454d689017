package dev.vireo.persistence;

import com.typesafe.config.Config;
import dev.vireo.protocol.vm.VmId;
import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/** An ActorSystem on a real H2 journal in {@code dataDir}, with the schema ensured, and Recorders to write with. */
final class TestJournal implements AutoCloseable {

    final ActorTestKit kit;
    private final Map<String, ActorRef<Recorder.Record>> recorders = new ConcurrentHashMap<>();
    private final JournalWrites writes;

    TestJournal(Path dataDir) {
        this(dataDir, ConfigFactory.empty());
    }

    TestJournal(Path dataDir, Config overrides) {
        this(dataDir, overrides, false);
    }

    /** @param signalWrites recorders signal {@link JournalWrites} after each persist, as VM entities do */
    TestJournal(Path dataDir, Config overrides, boolean signalWrites) {
        kit = ActorTestKit.create("journal-test", JournalConfig.forDataDir(dataDir, overrides));
        JournalSchema.ensure(kit.system());
        this.writes = signalWrites ? JournalWrites.get(kit.system()) : null;
    }

    ActorSystem<Void> system() {
        return kit.system();
    }

    EventLog log() {
        return EventLog.get(kit.system());
    }

    /** The embedded journal's event log, for what only it offers. */
    EmbeddedEventLog embedded() {
        return (EmbeddedEventLog) log();
    }

    static VmId vm(String persistenceId) {
        return VmId.fromPersistenceId(persistenceId);
    }

    /** Persists one event; completes with its sequence number once the journal acknowledged it. */
    CompletionStage<Long> recordAsync(String persistenceId, String text) {
        ActorRef<Recorder.Record> recorder = recorders.computeIfAbsent(persistenceId,
                id -> kit.spawn(Recorder.create(id, writes), "recorder-" + Math.abs(id.hashCode()) + "-" + recorders.size()));
        return AskPattern.ask(recorder, (ActorRef<Long> replyTo) -> new Recorder.Record(text, replyTo),
                Duration.ofSeconds(10), kit.scheduler());
    }

    long record(String persistenceId, String text) {
        return await(recordAsync(persistenceId, text));
    }

    static <T> T await(CompletionStage<T> stage) {
        try {
            return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("did not complete: " + e, e);
        }
    }

    @Override
    public void close() {
        kit.shutdownTestKit();
    }
}
