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

    /**
     * A scheduler restarted mid-migration (the control plane's) knows the VM's placement from its claim, not the
     * target: the recovered VM claims it, and its capacity is not given to anything else while the guest moves there.
     */
    @Test
    void aTargetClaimedAfterARestartHoldsItsCapacityUntilTheMigrationEnds() {
        placements.upsertNode(node("a", "sha-1"));
        placements.upsertNode(node("b", "sha-1"));
        placements.claim(VM, "a", 1, 1, GIB);
        assertTrue(placements.claimTarget(VM, "mig-1", "a", "b", 2, 1, GIB));
        assertEquals(false, placements.claimTarget(VM, "mig-1", "a", "b", 2, 1, GIB), "claimed twice, counted once");
        assertEquals(GIB, placements.allocated("b").memoryBytes());
        for (int i = 2; i <= 3; i++) {
            assertInstanceOf(Placements.Placed.class, placements.place(new VmId("default", "web-" + i), 1, 1, GIB,
                    Map.of(), List.of(), "r" + i));
        }
        assertInstanceOf(Placements.Waiting.class, placements.place(new VmId("default", "web-4"), 1, 1, GIB, Map.of(),
                List.of(), "r4"), "of b's two GiB one is the migration's, of a's one is web-1's");
        assertEquals(new Placements.Placed("b"), reserve(null), "asked again for the same migration: the same target");
        placements.promoteTarget(VM, "mig-1", "b", 2, 1, GIB);
        assertEquals(2 * GIB, placements.allocated("b").memoryBytes());
        assertEquals(GIB, placements.allocated("a").memoryBytes(), "web-1's source placement given back");
    }

    /** What a node that reconciles is asked about besides the domains it holds: the VMs migrating out of it. */
    @Test
    void theVmsMigratingOutOfANodeAreKnownWithTheirIncarnationThere() {
        twoNodesWithTheVmOnA();
        assertEquals(Map.of(), placements.migratingFrom("a"));
        reserve("b");
        assertEquals(Map.of(VM, 1L), placements.migratingFrom("a"));
        assertEquals(Map.of(), placements.migratingFrom("b"), "the target is not what it migrates out of");
        placements.promoteTarget(VM, "mig-1", "b", 2, 1, GIB);
        assertEquals(Map.of(), placements.migratingFrom("a"));
    }

    @Test
    void theVmsMigratingIntoANodeAreKnownWithTheirTargetIncarnation() {
        twoNodesWithTheVmOnA();
        assertEquals(Map.of(), placements.migratingInto("b"));
        reserve("b");
        assertEquals(1, placements.migratingInto("b").size());
        assertTrue(placements.migratingInto("b").get(VM) > 1L, "the target's incarnation, not the source's");
        assertEquals(Map.of(), placements.migratingInto("a"), "the source is not what it migrates into");
        placements.promoteTarget(VM, "mig-1", "b", 2, 1, GIB);
        assertEquals(Map.of(), placements.migratingInto("b"));
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

    private static VmId vm(int i) {
        return new VmId("default", "vm-" + i);
    }

    private Placements.Outcome reserve(int i, String source) {
        return placements.reserveTarget(new Placements.TargetRequest(vm(i), "mig-" + i, source, null, 2, 1, 1L << 20,
                Map.of(), List.of(), "r" + i));
    }

    @Test
    void migrationsOverTheLimitsWaitAndStartOldestFirstWhenOneEnds() {
        placements.limitMigrations(new Scheduler.MigrationLimits(3, 2));
        for (String n : List.of("a", "b", "c")) {
            placements.upsertNode(new NodeInfo(n, 64, 64 * GIB, Map.of(), "qemu:///" + n, "tcg", true));
        }
        assertInstanceOf(Placements.Placed.class, reserve(1, "a"));
        assertInstanceOf(Placements.Placed.class, reserve(2, "a"));
        Placements.Outcome third = reserve(3, "a");
        assertTrue(((Placements.Queued) third).reason().contains("out of node a (at most 2)"), third::toString);
        assertInstanceOf(Placements.Placed.class, reserve(4, "b"));
        Placements.Outcome fifth = reserve(5, "c");
        assertTrue(((Placements.Queued) fifth).reason().contains("in the cluster (at most 3)"), fifth::toString);
        assertEquals(2, placements.queuedMigrations());
        assertEquals(List.of(), placements.dequeue(), "nothing ended yet");

        placements.releaseTarget(vm(1), "mig-1");
        List<Placements.Dequeued> started = placements.dequeue();
        assertEquals(List.of(vm(3)), started.stream().map(d -> d.request().vm()).toList(), "the oldest that may go");
        assertInstanceOf(Placements.Placed.class, started.get(0).outcome());

        placements.releaseTarget(vm(5), "mig-5"); // cancelled while it waited
        assertEquals(0, placements.queuedMigrations());
    }
}
