package dev.vireo.api;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files and links in a temporary directory: what a user could plant next to the images directory. */
class ImagePathsTest {

    @TempDir
    Path root;
    Path images;
    Path secret;
    ImagePaths paths;

    @BeforeEach
    void plant() throws IOException {
        images = Files.createDirectories(root.resolve("images"));
        Files.writeString(images.resolve("vmlinuz"), "kernel");
        Files.writeString(images.resolve("initrd.img"), "initrd");
        Files.createDirectories(images.resolve("sub"));
        Files.writeString(images.resolve("sub/disk.qcow2"), "disk");
        secret = Files.writeString(root.resolve("secret"), "host file");
        paths = new ImagePaths(images);
    }

    @Test
    void imagesInsideTheImagesDirectoryAreAccepted() {
        assertDoesNotThrow(() -> paths.check(spec(images.resolve("vmlinuz").toString(),
                images.resolve("initrd.img").toString(), images.resolve("sub/disk.qcow2").toString())));
        assertDoesNotThrow(() -> paths.check(spec("vmlinuz", "sub/../initrd.img", "sub/disk.qcow2")));
    }

    @Test
    void aSymlinkInsidePointingInsideIsAccepted() throws IOException {
        Files.createSymbolicLink(images.resolve("current"), images.resolve("sub/disk.qcow2"));
        Files.createSymbolicLink(images.resolve("relative"), Path.of("sub/disk.qcow2"));
        assertDoesNotThrow(() -> paths.check(spec(null, null, images.resolve("current").toString())));
        assertDoesNotThrow(() -> paths.check(spec(null, null, "relative")));
    }

    @Test
    void dotDotPathsOutOfTheImagesDirectoryAreRejected() {
        assertRejected("spec.boot.kernel", spec("../secret", null, null));
        assertRejected("spec.boot.kernel", spec(images + "/sub/../../secret", null, null));
        assertRejected("spec.boot.initrd", spec("vmlinuz", "sub/../../secret", null));
    }

    @Test
    void absolutePathsOutsideAreRejected() {
        assertRejected("spec.disks[0].image", spec(null, null, "/etc/passwd"));
        assertRejected("spec.disks[0].image", spec(null, null, secret.toString()));
        assertRejected("spec.boot.kernel", spec("/proc/self/environ", null, null));
    }

    @Test
    void symlinksPointingOutAreRejected() throws IOException {
        Files.createSymbolicLink(images.resolve("escape"), secret);
        Files.createSymbolicLink(images.resolve("escape-relative"), Path.of("../secret"));
        Files.createSymbolicLink(images.resolve("passwd"), Path.of("/etc/passwd"));
        Path linkedDir = Files.createSymbolicLink(images.resolve("host-etc"), Path.of("/etc"));
        assertRejected("spec.disks[0].image", spec(null, null, "escape"));
        assertRejected("spec.disks[0].image", spec(null, null, images.resolve("escape-relative").toString()));
        assertRejected("spec.boot.initrd", spec("vmlinuz", "passwd", null));
        assertRejected("spec.boot.kernel", spec(linkedDir.resolve("passwd").toString(), null, null));
    }

    @Test
    void theImagesDirectoryReachedThroughALinkIsStillTheImagesDirectory() throws IOException {
        Path link = Files.createSymbolicLink(root.resolve("images-link"), images);
        ImagePaths viaLink = new ImagePaths(link);
        assertDoesNotThrow(() -> viaLink.check(spec(images.resolve("vmlinuz").toString(), null, "sub/disk.qcow2")));
        assertRejected(viaLink, "spec.boot.kernel", spec(secret.toString(), null, null));
    }

    @Test
    void missingFilesDirectoriesAndDevicesAreRejected() {
        assertRejected("spec.disks[0].image", spec(null, null, "missing.qcow2"));
        assertRejected("spec.disks[0].image", spec(null, null, "sub"));
        assertRejected("spec.disks[0].image", spec(null, null, images.toString()));
        assertRejected("spec.boot.kernel", spec("/dev/null", null, null));
    }

    @Test
    void theFieldOfTheSecondDiskIsNamed() {
        VirtualMachineSpec twoDisks = new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1),
                "128Mi", null, List.of(new VirtualMachineSpec.Disk("a", "sub/disk.qcow2"),
                new VirtualMachineSpec.Disk("b", "../secret")), null, null, null);
        assertRejected("spec.disks[1].image", twoDisks);
    }

    @Test
    void aMissingImagesDirectoryIsSaidSo() {
        ImagePaths none = new ImagePaths(root.resolve("nowhere"));
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> none.check(spec("vmlinuz", null, null)));
        assertTrue(e.getMessage().contains("does not exist"), e.getMessage());
        assertDoesNotThrow(() -> none.check(spec(null, null, null)));
    }

    @Test
    void relativePathsAreStoredAbsoluteInsideTheImagesDirectory() {
        VirtualMachineSpec checked = paths.checked(spec("vmlinuz", "sub/../initrd.img", "sub/disk.qcow2"));
        assertEquals(images.resolve("vmlinuz").toString(), checked.boot().kernel());
        assertEquals(images.resolve("initrd.img").toString(), checked.boot().initrd());
        assertEquals(images.resolve("sub/disk.qcow2").toString(), checked.disks().get(0).image());
    }

    private void assertRejected(String field, VirtualMachineSpec spec) {
        assertRejected(paths, field, spec);
    }

    private void assertRejected(ImagePaths paths, String field, VirtualMachineSpec spec) {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> paths.check(spec));
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
        assertTrue(e.getMessage().contains("may only come from the images directory "),
                e.getMessage());
    }

    private static VirtualMachineSpec spec(String kernel, String initrd, String disk) {
        return new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1), "128Mi",
                kernel == null && initrd == null ? null : new VirtualMachineSpec.Boot(kernel, initrd, "console=ttyS0"),
                disk == null ? null : List.of(new VirtualMachineSpec.Disk("root", disk)), null, null, null);
    }
}
