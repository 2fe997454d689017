package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot taken on one node is fetched by another over the actor system (the cluster in production): whole, by
 * the names a snapshot holds only, into {@code <snap>.part/} renamed when complete.
 */
class SnapshotFetchTest {

    private static final VmId VM = new VmId("default", "mover");
    private static ActorTestKit testKit;

    @TempDir
    Path nodeA;
    @TempDir
    Path nodeB;

    @BeforeAll
    static void start() {
        testKit = ActorTestKit.create();
    }

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    private SnapshotFiles snapshotOn(Path data, String name) {
        return new SnapshotFiles(VmFiles.of(data, VM), name);
    }

    @Test
    void aCompleteSnapshotIsFetchedWholeFromTheNodeThatHoldsIt() throws Exception {
        testKit.spawn(SnapshotFileServer.create("node-a", nodeA));
        SnapshotFiles there = snapshotOn(nodeA, "s1");
        Files.createDirectories(there.directory());
        byte[] memory = new byte[SnapshotFileServer.MAX_CHUNK * 3 + 17]; // several pieces, the last a short one
        new Random(7).nextBytes(memory);
        Files.write(SnapshotFiles.memory(there.directory()), memory);
        Files.writeString(there.directory().resolve("disk-data.qcow2"), "overlay", StandardCharsets.UTF_8);
        Files.writeString(SnapshotFiles.domainXml(there.directory()), "<domain/>", StandardCharsets.UTF_8);
        Files.writeString(there.directory().resolve("secret.txt"), "not a snapshot's file", StandardCharsets.UTF_8);

        SnapshotFiles here = snapshotOn(nodeB, "s1");
        long bytes = SnapshotFetch.over(testKit.system()).fetch("node-a", VM, "s1", here, "r1");

        assertTrue(here.complete());
        assertFalse(Files.exists(here.partial()));
        assertArrayEquals(memory, Files.readAllBytes(SnapshotFiles.memory(here.directory())));
        assertEquals("overlay", Files.readString(here.directory().resolve("disk-data.qcow2")));
        assertFalse(Files.exists(here.directory().resolve("secret.txt")), "only the files a snapshot holds");
        assertEquals(memory.length + "overlay".length() + "<domain/>".length(), bytes);
    }

    @Test
    void aHalfTakenOrMissingSnapshotIsNotFetchedAndLeavesNothing() throws Exception {
        testKit.spawn(SnapshotFileServer.create("node-c", nodeA));
        SnapshotFiles there = snapshotOn(nodeA, "s2");
        Files.createDirectories(there.partial()); // being taken: no snapshot yet
        SnapshotFiles here = snapshotOn(nodeB, "s2");
        IOException e = assertThrows(IOException.class,
                () -> SnapshotFetch.over(testKit.system()).fetch("node-c", VM, "s2", here, "r2"));
        assertTrue(e.getMessage().contains("no complete snapshot s2"), e::getMessage);
        assertFalse(here.complete());
        assertFalse(Files.exists(here.partial()));
    }

    @Test
    void aDomainXmlWrittenOnAnotherNodeNamesThisNodesFiles() {
        VmFiles here = VmFiles.of(nodeB, VM);
        String there = "<domain><devices><disk><source file='/data-a/vms/default_mover/disk-data.qcow2'/></disk>"
                + "<kernel>/data-a/vms/default_mover/boot-kernel</kernel>"
                + "<log file='/data-a/vms/default_mover/console.log' append='off'/></devices></domain>";
        String xml = SnapshotOperations.onThisNode(there, here);
        assertTrue(xml.contains("'" + here.directory() + "/disk-data.qcow2'"), xml);
        assertTrue(xml.contains("'" + here.directory() + "/console.log'"), xml);
        assertTrue(xml.contains(">" + here.directory() + "/boot-kernel<"), xml);
        assertFalse(xml.contains("/data-a/"), xml);
    }
}
