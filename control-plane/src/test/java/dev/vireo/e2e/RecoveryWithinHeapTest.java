package dev.vireo.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vireo.Vireo;
import dev.vireo.VireoSettings;
import dev.vireo.e2e.Api.Response;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A journal that holds more than a heap: VMs as large as Vireo accepted before it bounded every field (issue #13,
 * finding 1: a 7 MB cmdline each), written through the real entities and journal. A Vireo with a heap smaller
 * than all of them together must still start, answer {@code /readyz} and list them: a journal that cannot be
 * recovered is an outage no restart fixes.
 */
class RecoveryWithinHeapTest {

    /** 224 VMs of 1 MiB: 224 MB of specs alone, for a heap of 224 MB. */
    private static final int VMS = 224;
    private static final int CMDLINE = 1 << 20;
    private static final String NAMESPACE = "big";

    @Test
    void aJournalOfVmsLargerThanTheHeapRecoversAndLists() throws Exception {
        Path work = Files.createTempDirectory("vireo-heap-");
        Path dataDir = Files.createDirectories(work.resolve("data"));
        try {
            writeOversizedVms(dataDir);
            awaitJournalReleased(dataDir);
            Path log = work.resolve("vireo.log");
            try (VireoProcess vireo = VireoProcess.start(dataDir, log,
                    VireoProcess.isolatedClassPath(Files.createDirectories(work.resolve("cp"))), "224m",
                    Duration.ofSeconds(180))) {
                Api api = vireo.api();
                Set<String> listed = new HashSet<>();
                String next = "";
                do {
                    Response page = api.get(Api.vms(NAMESPACE) + "?limit=8" + (next.isEmpty() ? "" : "&continue=" + next));
                    assertEquals(200, page.status(), () -> page.status() + "\n" + vireo.tail());
                    page.at("/items").forEach(vm -> listed.add(vm.at("/metadata/name").asText()));
                    next = page.at("/metadata/continue").asText("");
                } while (!next.isEmpty());
                assertEquals(VMS, listed.size());
                Response one = api.get(Api.vms(NAMESPACE) + "/vm-7");
                assertEquals(200, one.status(), () -> one.status() + "\n" + vireo.tail());
                assertEquals(CMDLINE, one.at("/spec/boot/cmdline").asText().length());
                assertEquals(200, api.get("/readyz").status(), vireo::tail);
            } catch (RuntimeException | AssertionError e) {
                List<String> lines = Files.readAllLines(log);
                throw new AssertionError(String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size())), e);
            }
        } finally {
            RunningVireo.deleteRecursively(work);
        }
    }

    /**
     * The Vireo of this JVM that wrote the journal has closed, but H2 may hold the file's lock a moment longer while
     * its pool closes; the process started next would find the file locked and refuse to start (as it must when
     * another Vireo holds it). Waits until this JVM can take the lock itself.
     */
    private static void awaitJournalReleased(Path dataDir) throws Exception {
        Path journal = dataDir.resolve("journal.mv.db");
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try (FileChannel file = FileChannel.open(journal, StandardOpenOption.WRITE)) {
                FileLock lock = file.tryLock();
                if (lock != null) {
                    lock.release();
                    return;
                }
            } catch (OverlappingFileLockException stillHeld) {
                // H2 in this JVM still has it
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the journal file " + journal + " was still locked 60 s after Vireo closed");
            }
            Thread.sleep(100);
        }
    }

    /** As the API of before took them: Halted VMs with a huge cmdline, through the entities and the journal. */
    private static void writeOversizedVms(Path dataDir) throws Exception {
        try (Vireo vireo = Vireo.start(new VireoSettings("127.0.0.1", 0, dataDir, RunningVireo.HYPERVISOR, null, 0,
                "local", Map.of()))) {
            String cmdline = "c".repeat(CMDLINE);
            VirtualMachineSpec spec = new VirtualMachineSpec(RunStrategy.Halted, null, "64Mi",
                    new VirtualMachineSpec.Boot("vmlinuz", null, cmdline), null, null, null, null).withDefaults();
            EntityCreates.create(vireo, NAMESPACE, VMS, spec, Map.of("app", "big"), 8);
            // the list has taken them in, as it had before the restart
            Api api = new Api(vireo.port());
            Eventually.get("the list to hold every VM", Duration.ofSeconds(120),
                    () -> api.get(Api.vms(NAMESPACE) + "?limit=1&labelSelector=app%3Dbig"), r -> r.status() == 200);
        }
    }
}
