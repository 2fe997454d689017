package dev.vireo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeInfo;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PlacementsTest {

    private static final long GIB = 1L << 30;

    private final Placements placements = new Placements();

    private static NodeInfo node(String name, int cpus, long memory, Map<String, String> labels) {
        return new NodeInfo(name, cpus, memory, labels, "test:///default", "test", true);
    }

    private static VmId vm(int i) {
        return new VmId("default", "vm-" + i);
    }

    @Test
    void placementsNeverOvercommitANode() {
        placements.upsertNode(node("a", 4, 4 * GIB, Map.of()));
        int placed = 0;
        for (int i = 0; i < 10; i++) {
            if (placements.place(vm(i), 1, 1, GIB, Map.of(), "r" + i) instanceof Placements.Placed) {
                placed++;
            }
        }
        assertEquals(4, placed);
        assertEquals(6, placements.waitingCount());
        NodeView view = placements.views().get(0);
        assertEquals(4, view.allocated().cpus());
        assertEquals(4 * GIB, view.allocated().memoryBytes());
    }

    @Test
    void randomPlacementsAndReleasesStayWithinCapacity() {
        placements.upsertNode(node("a", 8, 8 * GIB, Map.of()));
        placements.upsertNode(node("b", 4, 16 * GIB, Map.of("zone", "b")));
        Random random = new Random(42);
        long[] incarnation = new long[50];
        for (int step = 0; step < 5000; step++) {
            int i = random.nextInt(50);
            if (random.nextBoolean()) {
                incarnation[i]++;
                placements.place(vm(i), incarnation[i], 1 + random.nextInt(3), (1 + random.nextInt(4)) * GIB,
                        random.nextInt(4) == 0 ? Map.of("zone", "b") : Map.of(), "r");
            } else if (placements.release(vm(i), incarnation[i])) {
                placements.retryWaiting();
            }
            for (NodeView n : placements.views()) {
                assertTrue(n.allocated().cpus() <= n.capacity().cpus(), "cpus overcommitted on " + n.name());
                assertTrue(n.allocated().memoryBytes() <= n.capacity().memoryBytes(), "memory overcommitted on " + n.name());
            }
        }
    }

    @Test
    void nodeSelectorRestrictsTheNodes() {
        placements.upsertNode(node("a", 8, 8 * GIB, Map.of("zone", "a")));
        placements.upsertNode(node("b", 8, 8 * GIB, Map.of("zone", "b")));
        Placements.Outcome outcome = placements.place(vm(1), 1, 1, GIB, Map.of("zone", "b"), "r");
        assertEquals(new Placements.Placed("b"), outcome);
        Placements.Outcome none = placements.place(vm(2), 1, 1, GIB, Map.of("zone", "c"), "r");
        Placements.Waiting waiting = assertInstanceOf(Placements.Waiting.class, none);
        assertTrue(waiting.reason().contains("does not match the nodeSelector"), waiting.reason());
    }

    @Test
    void waitingRequestIsPlacedWhenCapacityFrees() {
        placements.upsertNode(node("a", 1, GIB, Map.of()));
        placements.place(vm(1), 1, 1, GIB, Map.of(), "r1");
        assertInstanceOf(Placements.Waiting.class, placements.place(vm(2), 1, 1, GIB, Map.of(), "r2"));
        assertTrue(placements.release(vm(1), 1));
        List<Placements.Retried> retried = placements.retryWaiting();
        assertEquals(List.of(new Placements.Retried(vm(2), "a", 1, "r2")), retried);
    }

    @Test
    void releaseOfAnotherIncarnationKeepsTheReservation() {
        placements.upsertNode(node("a", 2, 2 * GIB, Map.of()));
        placements.place(vm(1), 2, 1, GIB, Map.of(), "r");
        assertTrue(!placements.release(vm(1), 1));
        assertEquals(1, placements.views().get(0).allocated().cpus());
    }

    @Test
    void samePlacementAskedTwiceIsAnsweredWithTheSameNode() {
        placements.upsertNode(node("a", 1, GIB, Map.of()));
        assertEquals(new Placements.Placed("a"), placements.place(vm(1), 1, 1, GIB, Map.of(), "r"));
        assertEquals(new Placements.Placed("a"), placements.place(vm(1), 1, 1, GIB, Map.of(), "r"));
        assertEquals(1, placements.views().get(0).allocated().cpus());
    }

    @Test
    void noRegisteredNodeSaysSo() {
        Placements.Waiting waiting = assertInstanceOf(Placements.Waiting.class,
                placements.place(vm(1), 1, 1, GIB, Map.of(), "r"));
        assertEquals("no node has registered yet", waiting.reason());
    }

    @Test
    void lostNodeGivesBackItsVms() {
        placements.upsertNode(node("a", 4, 4 * GIB, Map.of()));
        placements.place(vm(1), 1, 1, GIB, Map.of(), "r");
        placements.place(vm(2), 1, 1, GIB, Map.of(), "r");
        assertEquals(Map.of(vm(1), 1L, vm(2), 1L), placements.removeNode("a"));
        assertTrue(placements.views().isEmpty());
    }

    @Test
    void vmsSpreadToTheLeastLoadedNodeWhateverItsSize() {
        placements.upsertNode(node("big", 64, 64 * GIB, Map.of()));
        placements.upsertNode(node("small", 8, 8 * GIB, Map.of()));
        List<String> order = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            order.add(((Placements.Placed) placements.place(vm(i), 1, 1, GIB, Map.of(), "r")).node());
        }
        // big is 1/64 loaded after its first VM, small 1/8 after its first: big takes the next ones
        assertEquals(List.of("big", "small", "big", "big"), order);
    }

    @Test
    void aCordonedNodeGetsNoNewVmsAndSaysSo() {
        placements.upsertNode(node("a", 4, 4 * GIB, Map.of()));
        placements.upsertNode(node("b", 4, 4 * GIB, Map.of()));
        placements.cordon("a", true);
        for (int i = 0; i < 3; i++) {
            assertEquals("b", ((Placements.Placed) placements.place(vm(i), 1, 1, GIB, Map.of(), "r")).node());
        }
        placements.cordon("b", true);
        Placements.Waiting waiting = assertInstanceOf(Placements.Waiting.class,
                placements.place(vm(9), 1, 1, GIB, Map.of(), "r"));
        assertTrue(waiting.reason().contains("node a is cordoned"), waiting.reason());
        placements.cordon("a", false);
        assertEquals(List.of(new Placements.Retried(vm(9), "a", 1, "r")), placements.retryWaiting());
    }

    @Test
    void aVmGoesOnlyWhereAllItsFilesAre() {
        placements.upsertNode(node("a", 4, 4 * GIB, Map.of()).withImages(images("/i", "vmlinuz")));
        placements.upsertNode(node("b", 4, 4 * GIB, Map.of()).withImages(images("/i", "vmlinuz", "disk.qcow2")));
        for (int i = 0; i < 3; i++) {
            assertEquals("b", ((Placements.Placed) placements.place(vm(i), 1, 1, GIB, Map.of(),
                    List.of("vmlinuz", "/i/disk.qcow2"), "r")).node());
        }
        Placements.Waiting waiting = assertInstanceOf(Placements.Waiting.class, placements.place(vm(5), 1, 1, GIB,
                Map.of(), List.of("initrd.img"), "r"));
        assertTrue(waiting.reason().contains("node a does not hold [initrd.img]"), waiting.reason());
    }

    @Test
    void aNodeSelectorPicksTheLabelledNode() {
        placements.upsertNode(node("a", 8, 8 * GIB, Map.of("zone", "a")));
        placements.upsertNode(node("b", 8, 8 * GIB, Map.of("zone", "b")));
        for (int i = 0; i < 3; i++) {
            assertEquals("b", ((Placements.Placed) placements.place(vm(i), 1, 1, GIB, Map.of("zone", "b"), "r")).node());
        }
    }

    private static dev.vireo.protocol.node.NodeImages images(String directory, String... files) {
        return new dev.vireo.protocol.node.NodeImages(directory, java.util.Arrays.stream(files)
                .map(f -> new dev.vireo.protocol.node.NodeImages.ImageFile(f, 1, null)).toList());
    }
}
