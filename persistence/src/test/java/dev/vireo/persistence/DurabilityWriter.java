package dev.vireo.persistence;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Test-only main, run in its own JVM by {@link KillDurabilityTest}: persists events without end
 * from a few Recorders and prints {@code ACK <persistenceId> <seqNr>} once each is acknowledged.
 * Args: data dir, then optionally the H2 URL options to use instead of Vireo's.
 */
public final class DurabilityWriter {

    static final int WRITERS = 4;

    public static void main(String[] args) {
        Path dataDir = Path.of(args[0]);
        var overrides = args.length > 1
                ? ConfigFactory.parseString("vireo.persistence.h2-url-options = \"" + args[1] + "\"")
                : ConfigFactory.empty();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "writer", JournalConfig.forDataDir(dataDir, overrides));
        JournalSchema.ensure(system);
        System.out.println("READY");
        for (int w = 0; w < WRITERS; w++) {
            String id = "VirtualMachine|durability/vm-" + w;
            ActorRef<Recorder.Record> recorder = system.systemActorOf(Recorder.create(id, null), "recorder-" + w,
                    org.apache.pekko.actor.typed.Props.empty());
            writeNext(system, recorder, id, 0);
        }
    }

    private static void writeNext(ActorSystem<?> system, ActorRef<Recorder.Record> recorder, String id, int n) {
        AskPattern.<Recorder.Record, Long>ask(recorder, replyTo -> new Recorder.Record("event-" + n, replyTo),
                        Duration.ofSeconds(30), system.scheduler())
                .whenComplete((seqNr, failure) -> {
                    if (failure != null) {
                        System.out.println("FAILED " + id + " " + failure);
                        return;
                    }
                    synchronized (System.out) {
                        System.out.println("ACK " + id + " " + seqNr);
                        System.out.flush();
                    }
                    writeNext(system, recorder, id, n + 1);
                });
    }
}
