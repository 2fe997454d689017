package dev.vireo.protocol.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** What a manifest's image path names on a node: relative to its images directory, or absolute inside it. */
class NodeImagesTest {

    private final NodeImages images = new NodeImages("/var/lib/vireo/images", List.of(
            new NodeImages.ImageFile("vmlinuz", 8, null), new NodeImages.ImageFile("debian/root.qcow2", 9, "ab")));

    @Test
    void relativePathsAreTakenInsideTheDirectoryAndDotsResolvedAsText() {
        assertEquals(Optional.of("vmlinuz"), images.relative("vmlinuz"));
        assertEquals(Optional.of("debian/root.qcow2"), images.relative("./debian//x/../root.qcow2"));
        assertEquals(Optional.empty(), images.relative("../vmlinuz"));
        assertEquals(Optional.empty(), images.relative("debian/../../etc/passwd"));
        assertEquals(Optional.empty(), images.relative(""));
        assertEquals(Optional.empty(), images.relative("."));
    }

    @Test
    void absolutePathsCountOnlyInsideThisNodesDirectory() {
        assertEquals(Optional.of("vmlinuz"), images.relative("/var/lib/vireo/images/vmlinuz"));
        assertEquals(Optional.empty(), images.relative("/var/lib/vireo/images-old/vmlinuz"));
        assertEquals(Optional.empty(), images.relative("/var/lib/vireo/images/../vmlinuz"));
        assertEquals(Optional.empty(), images.relative("/etc/passwd"));
        assertEquals(Optional.empty(), NodeImages.NONE.relative("/var/lib/vireo/images/vmlinuz"));
    }

    @Test
    void aNodeHoldsAllOrNot() {
        assertTrue(images.holdsAll(List.of("vmlinuz", "/var/lib/vireo/images/debian/root.qcow2")));
        assertFalse(images.holdsAll(List.of("vmlinuz", "initrd.img")));
        assertTrue(images.holdsAll(List.of()));
        assertFalse(images.holds("a\0b"));
    }
}
