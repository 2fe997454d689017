package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's images directory with real files and links, as a user could plant them: what the node reports it
 * holds ({@link ImageCatalog}) and what it agrees to open ({@link ImageFiles}), checked where the file is opened.
 */
class ImageFilesTest {

    @TempDir
    Path root;
    Path images;
    Path secret;
    ImageFiles files;

    @BeforeEach
    void plant() throws IOException {
        images = Files.createDirectories(root.resolve("images"));
        Files.writeString(images.resolve("vmlinuz"), "kernel");
        Files.writeString(images.resolve("initrd.img"), "initrd");
        Files.createDirectories(images.resolve("sub"));
        Files.writeString(images.resolve("sub/disk.qcow2"), "disk");
        Files.createDirectories(images.resolve(".cache"));
        Files.writeString(images.resolve(".cache/download.deb"), "not an image");
        secret = Files.writeString(root.resolve("secret"), "host file");
        files = new ImageFiles(images);
    }

    @Test
    void imagesInsideTheImagesDirectoryOpenAsTheirRealPaths() throws IOException {
        VirtualMachineSpec confined = files.confine(spec(images.resolve("vmlinuz").toString(), "sub/../initrd.img",
                "sub/disk.qcow2"), "n1");
        assertEquals(images.toRealPath().resolve("vmlinuz").toString(), confined.boot().kernel());
        assertEquals(images.toRealPath().resolve("initrd.img").toString(), confined.boot().initrd());
        assertEquals(images.toRealPath().resolve("sub/disk.qcow2").toString(), confined.disks().get(0).image());
    }

    @Test
    void aLinkInsidePointingInsideOpensItsTarget() throws IOException {
        Files.createSymbolicLink(images.resolve("current"), Path.of("sub/disk.qcow2"));
        assertEquals(images.toRealPath().resolve("sub/disk.qcow2").toString(),
                files.confine(spec(null, null, "current"), "n1").disks().get(0).image());
    }

    @Test
    void pathsOutOfTheImagesDirectoryAreRefusedNamingTheField() throws IOException {
        Files.createSymbolicLink(images.resolve("escape"), secret);
        Files.createSymbolicLink(images.resolve("host-etc"), Path.of("/etc"));
        assertRefused("spec.boot.kernel", spec("../secret", null, null));
        assertRefused("spec.boot.kernel", spec(images + "/sub/../../secret", null, null));
        assertRefused("spec.boot.initrd", spec("vmlinuz", "/etc/passwd", null));
        assertRefused("spec.disks[0].image", spec(null, null, "escape"));
        assertRefused("spec.boot.kernel", spec("host-etc/passwd", null, null));
        assertRefused("spec.disks[0].image", spec(null, null, "missing.qcow2"));
        assertRefused("spec.disks[0].image", spec(null, null, "sub"));
        assertRefused("spec.boot.kernel", spec("/dev/null", null, null));
    }

    /** Hardening finding 3: a link to a deep directory and dots that climb out of it as text. */
    @Test
    void dotsAfterALinkCannotLeaveTheDirectory() throws IOException {
        Path deep = Files.createDirectories(images.resolve("d1/d2/d3/d4/d5"));
        Files.createDirectories(images.resolve("etc"));
        Files.writeString(images.resolve("etc/passwd"), "inside");
        Files.createSymbolicLink(images.resolve("x"), images.relativize(deep));
        assertRefused("spec.boot.kernel", spec("x/../../../../../etc/passwd", null, null));
    }

    @Test
    void theCatalogListsOnlyWhatTheNodeWouldOpen() throws Exception {
        Files.createSymbolicLink(images.resolve("escape"), secret);
        Files.createSymbolicLink(images.resolve("current"), Path.of("sub/disk.qcow2"));
        Files.createSymbolicLink(images.resolve("host-etc"), Path.of("/etc"));
        try (ImageCatalog catalog = new ImageCatalog(images)) {
            NodeImages held = catalog.scan();
            assertEquals(List.of("current", "initrd.img", "sub/disk.qcow2", "vmlinuz"),
                    held.files().stream().map(NodeImages.ImageFile::path).toList());
            assertEquals(images.toString(), held.directory());
            NodeImages.ImageFile kernel = held.file("vmlinuz").orElseThrow();
            assertEquals(6, kernel.size());
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (catalog.scan().file("vmlinuz").orElseThrow().sha256() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(ImageCatalog.sha256(images.resolve("vmlinuz")), catalog.scan().file("vmlinuz").orElseThrow().sha256());
            assertTrue(held.holds(images.resolve("sub/disk.qcow2").toString()));
            assertTrue(!held.holds("escape") && !held.holds("../secret") && !held.holds(secret.toString()));
        }
    }

    @Test
    void aMissingImagesDirectoryHoldsNothing() {
        try (ImageCatalog catalog = new ImageCatalog(root.resolve("nowhere"))) {
            assertTrue(catalog.scan().files().isEmpty());
        }
        assertNull(new ImageCatalog(null).scan().directory());
        assertNotNull(new ImageCatalog(images).scan().directory());
    }

    private void assertRefused(String field, VirtualMachineSpec spec) {
        IOException e = assertThrows(IOException.class, () -> files.confine(spec, "n1"));
        assertTrue(e.getMessage().startsWith(field + " "), e.getMessage());
        assertTrue(e.getMessage().contains("images directory"), e.getMessage());
    }

    private static VirtualMachineSpec spec(String kernel, String initrd, String disk) {
        return new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1), "128Mi",
                kernel == null && initrd == null ? null : new VirtualMachineSpec.Boot(kernel, initrd, "console=ttyS0"),
                disk == null ? null : List.of(new VirtualMachineSpec.Disk("root", disk)), null, null, null);
    }
}
