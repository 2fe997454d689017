package dev.vireo.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.node.NodeImages.ImageFile;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.scheduler.NodeView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A spec may name only files some node reports in its images directory; the node checks again when it opens them. */
class ImagePathsTest {

    private static final NodeView A = node("a", "Ready", "/srv/a/images", "vmlinuz", "initrd.img", "sub/disk.qcow2");
    private static final NodeView B = node("b", "Ready", "/srv/b/images", "vmlinuz", "other.qcow2");
    private static final NodeView LOST = node("c", "Lost", "/srv/c/images", "only-on-c.qcow2");
    private static final List<NodeView> NODES = List.of(A, B, LOST);

    @Test
    void filesSomeNodeHoldsAreAcceptedRelativeOrAbsoluteInsideItsDirectory() {
        assertDoesNotThrow(() -> ImagePaths.check(spec("vmlinuz", "sub/../initrd.img", "sub/disk.qcow2"), NODES));
        assertDoesNotThrow(() -> ImagePaths.check(spec("/srv/a/images/vmlinuz", null, "/srv/b/images/other.qcow2"),
                NODES));
    }

    @Test
    void aFileNoNodeHoldsIsRefusedNamingTheFieldAndWhatTheNodesHold() {
        InvalidManifestException e = assertRefused("spec.disks[0].image", spec("vmlinuz", null, "missing.qcow2"));
        assertTrue(e.getMessage().contains("a (/srv/a/images) holds [vmlinuz, initrd.img, sub/disk.qcow2]"),
                e.getMessage());
        assertRefused("spec.boot.kernel", spec("/srv/b/images/initrd.img", null, null));
    }

    @Test
    void pathsOutsideEveryImagesDirectoryAreRefused() {
        assertRefused("spec.boot.kernel", spec("../secret", null, null));
        assertRefused("spec.boot.kernel", spec("sub/../../vmlinuz", null, null));
        assertRefused("spec.boot.initrd", spec("vmlinuz", "/etc/passwd", null));
        assertRefused("spec.boot.kernel", spec("/srv/a/images/../secret", null, null));
        // hardening finding 3: with images/x a link to images/d1/d2/d3/d4/d5, the dots still climb out as text
        assertRefused("spec.boot.kernel", spec("x/../../../../../etc/passwd", null, null));
    }

    @Test
    void aLostNodesImagesCountForNothing() {
        assertRefused("spec.disks[0].image", spec(null, null, "only-on-c.qcow2"));
    }

    @Test
    void theFieldOfTheSecondDiskIsNamed() {
        VirtualMachineSpec twoDisks = new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1),
                "128Mi", null, List.of(new VirtualMachineSpec.Disk("x", "sub/disk.qcow2"),
                new VirtualMachineSpec.Disk("y", "nowhere.qcow2")), null, null, null);
        assertRefused("spec.disks[1].image", twoDisks);
    }

    @Test
    void withoutNodesItIsSaidThatNoneHasRegistered() {
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> ImagePaths.check(spec("vmlinuz", null, null), List.of()));
        assertTrue(e.getMessage().contains("no node with an images directory has registered yet"), e.getMessage());
        assertDoesNotThrow(() -> ImagePaths.check(spec(null, null, null), List.of()));
    }

    private static InvalidManifestException assertRefused(String field, VirtualMachineSpec spec) {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> ImagePaths.check(spec, NODES));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
        return e;
    }

    private static NodeView node(String name, String state, String directory, String... files) {
        return new NodeView(name, state, null, "Ready".equals(state), false, "test:///default", "test:///default",
                "test", null, Map.of(), new NodeView.Resources(1, 1), new NodeView.Resources(0, 0), List.of(), directory,
                java.util.Arrays.stream(files).map(f -> new ImageFile(f, 1, null)).toList());
    }

    private static VirtualMachineSpec spec(String kernel, String initrd, String disk) {
        return new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1), "128Mi",
                kernel == null && initrd == null ? null : new VirtualMachineSpec.Boot(kernel, initrd, "console=ttyS0"),
                disk == null ? null : List.of(new VirtualMachineSpec.Disk("root", disk)), null, null, null);
    }
}
