package dev.vireo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scheduler's side of live migration: a target is reserved beside the source, then promoted or given back. */
class MigrationTargetsTest {

    private static final long GIB = 1L << 30;
    private static final VmId VM = new VmId("default", "web-1");

    private final Placements placements = new Placements();

    private static NodeInfo node(String name, String diskSha) {
        NodeImages images = new NodeImages("/images", List.of(new NodeImages.ImageFile("disk.qcow2", 100, diskSha)));
        return new NodeInfo(name, 2, 2 * GIB, Map.of(), "qemu:///" + name, "tcg", true, null, "qemu:///" + name, images);
    }

    private void twoNodesWithTheVmOnA() {
        placements.upsertNode(node("a", "sha-1"));
        placements.upsertNode(node("b", "sha-1"));
        assertEquals(new Placements.Placed("a"), placements.place(VM, 1, 1, GIB, Map.of(), List.of("disk.qcow2"), "r"));
    }

    private Placements.Outcome reserve(String node) {
        return placements.reserveTarget(VM, "mig-1", "a", node, 2, 1, GIB, Map.of(), List.of("disk.qcow2"));
    }

    @Test
    void theSchedulerChoosesANodeOtherThanTheSourceAndCountsItsCapacityThere() {
        twoNodesWithTheVmOnA();
        assertEquals(new Placements.Placed("b"), reserve(null));
        assertEquals(new Placements.Placed("b"), reserve(null), "asked again, the same answer");
        assertEquals(GIB, placements.allocated("a").memoryBytes());
        assertEquals(GIB, placements.allocated("b").memoryBytes());
    }

    @Test
    void aCompletedMigrationMovesThePlacementToTheTarget() {
        twoNodesWithTheVmOnA();
        reserve("b");
        placements.promoteTarget(VM, "mig-1", "b", 2, 1, GIB);
        assertEquals(0, placements.allocated("a").memoryBytes());
        assertEquals(GIB, placements.allocated("b").memoryBytes());
        assertTrue(placements.holds(VM, "b", 2));
    }

    @Test
    void aFailedMigrationGivesTheTargetBack() {
        twoNodesWithTheVmOnA();
        reserve("b");
        assertTrue(placements.releaseTarget(VM, "mig-1"));
        assertEquals(0, placements.allocated("b").memoryBytes());
        assertTrue(placements.holds(VM, "a", 1), "the source's placement stays");
        assertEquals(false, placements.releaseTarget(VM, "mig-1"));
    }

    @Test
    void aTargetIsRefusedWithTheReason() {
        twoNodesWithTheVmOnA();
        assertTrue(((Placements.Waiting) reserve("a")).reason().contains("is where it runs already"));
        assertTrue(((Placements.Waiting) reserve("zz")).reason().contains("node zz is unknown"));
        placements.cordon("b", true);
        assertTrue(((Placements.Waiting) reserve("b")).reason().contains("cordoned"));
        assertInstanceOf(Placements.Waiting.class, reserve(null));
    }

    @Test
    void aTargetWhoseBaseImageDiffersFromTheSourcesIsRefused() {
        placements.upsertNode(node("a", "sha-1"));
        placements.upsertNode(node("b", "sha-2"));
        placements.place(VM, 1, 1, GIB, Map.of(), List.of("disk.qcow2"), "r");
        String why = ((Placements.Waiting) reserve("b")).reason();
        assertTrue(why.contains("differs from node a's"), why);
        assertNull(placements.whyNotTarget("a", "a", 1, GIB, Map.of(), List.of()) == null ? "x" : null);
    }

    @Test
    void aLostTargetNodeTakesTheReservationWithIt() {
        twoNodesWithTheVmOnA();
        reserve("b");
        assertEquals(Map.of(VM, 2L), placements.removeNode("b"));
        assertTrue(placements.holds(VM, "a", 1));
    }
}
