package dev.vireo.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.UniqueKillSwitch;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real file written while it is read, as virtlogd writes a guest's console. */
class ConsoleTailTest {

    static ActorSystem system;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        system = ActorSystem.create("console-tail-test");
    }

    @AfterAll
    static void stop() {
        system.terminate();
    }

    @Test
    void upToNowEndsAtWhatIsThere() throws Exception {
        Path log = Files.writeString(dir.resolve("console.log"), "booted\n" + "x".repeat(200_000) + "\nend\n");
        String read = ConsoleTail.upToNow(log)
                .runFold(ByteString.emptyByteString(), ByteString::concat, system)
                .toCompletableFuture().get(10, TimeUnit.SECONDS).utf8String();
        assertEquals(Files.readString(log), read);
    }

    @Test
    void followingShowsWhatIsAppendedAndEveryNewBootFromItsStart() throws Exception {
        Path log = dir.resolve("console.log");
        StringBuffer seen = new StringBuffer();
        UniqueKillSwitch kill = ConsoleTail.following(log, Duration.ofMillis(20))
                .viaMat(KillSwitches.single(), Keep.right())
                .to(Sink.foreach(chunk -> seen.append(chunk.utf8String())))
                .run(system);
        try {
            Thread.sleep(100);
            assertEquals("", seen.toString(), "no file yet: nothing, and no failure");
            Files.writeString(log, "boot 1\n");
            awaitSeen(seen::toString, "boot 1\n");
            Files.writeString(log, "beat 1\n", StandardOpenOption.APPEND);
            awaitSeen(seen::toString, "boot 1\nbeat 1\n");

            // a new boot: the node deletes the old log before it starts the domain again
            Files.delete(log);
            Files.writeString(log, "boot 2\n");
            awaitSeen(seen::toString, "boot 1\nbeat 1\nboot 2\n");

            // or the file is truncated and written again
            Files.writeString(log, "b3\n", StandardOpenOption.TRUNCATE_EXISTING);
            awaitSeen(seen::toString, "boot 1\nbeat 1\nboot 2\nb3\n");
        } finally {
            kill.shutdown();
        }
    }

    private static void awaitSeen(Supplier<String> seen, String expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (seen.get().equals(expected)) {
                return;
            }
            Thread.sleep(10);
        }
        fail("expected the tail to have read " + expected.replace("\n", "\\n") + " but it read "
                + seen.get().replace("\n", "\\n"));
    }
}
