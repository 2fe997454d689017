package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hardening finding 3, the window between check and use: someone who may write the images directory swaps a
 * directory on the way to a checked file for a link to a host directory, after the node checked the path and
 * before QEMU opens it. What the node hands QEMU must still be the file it checked, or the start must fail.
 */
class PinnedImagesTest {

    @TempDir
    Path root;
    Path images;
    Path host;
    VmFiles files;
    ImageFiles checker;

    @BeforeEach
    void plant() throws IOException {
        images = Files.createDirectories(root.resolve("images"));
        Files.createDirectories(images.resolve("boot"));
        Files.writeString(images.resolve("boot/vmlinuz"), "the checked kernel");
        Files.writeString(images.resolve("boot/initrd.img"), "the checked initrd");
        Files.writeString(images.resolve("boot/disk.qcow2"), "the checked disk");
        host = Files.createDirectories(root.resolve("host-secrets"));
        Files.writeString(host.resolve("vmlinuz"), "a host secret");
        Files.writeString(host.resolve("initrd.img"), "a host secret");
        Files.writeString(host.resolve("disk.qcow2"), "a host secret");
        files = VmFiles.of(root.resolve("data"), new VmId("default", "pinned"));
        files.createDirectory();
        checker = new ImageFiles(images);
    }

    @Test
    void whatQemuOpensStaysTheCheckedFileWhenTheDirectoryIsSwappedAfterwards() throws IOException {
        VirtualMachineSpec pinned = PinnedImages.pin(checker.confine(spec(), "n1"), files, images);
        swapBootDirectoryForALinkToTheHost();
        assertEquals("the checked kernel", Files.readString(Path.of(pinned.boot().kernel())));
        assertEquals("the checked initrd", Files.readString(Path.of(pinned.boot().initrd())));
        assertTrue(Path.of(pinned.boot().kernel()).startsWith(files.directory()), pinned.boot().kernel());
    }

    @Test
    void aSwapBetweenTheCheckAndThePinFailsTheStartNamingTheField() throws IOException {
        VirtualMachineSpec confined = checker.confine(spec(), "n1");
        swapBootDirectoryForALinkToTheHost();
        IOException e = assertThrows(IOException.class, () -> PinnedImages.pin(confined, files, images));
        assertTrue(e.getMessage().startsWith("spec.boot.kernel "), e.getMessage());
        assertFalse(Files.exists(files.directory().resolve("boot-kernel")), "no pin of the host's file is left");
    }

    @Test
    void aDiskBaseImageIsVerifiedAgainRightBeforeTheStart() throws IOException {
        VirtualMachineSpec confined = checker.confine(spec(), "n1");
        assertDoesNotThrow(() -> PinnedImages.verifyDisks(confined, images));
        swapBootDirectoryForALinkToTheHost();
        IOException e = assertThrows(IOException.class, () -> PinnedImages.verifyDisks(confined, images));
        assertTrue(e.getMessage().startsWith("spec.disks[0].image "), e.getMessage());
    }

    @Test
    void pinningAgainReplacesTheEarlierPin() throws IOException {
        PinnedImages.pin(checker.confine(spec(), "n1"), files, images);
        Files.delete(images.resolve("boot/vmlinuz"));
        Files.writeString(images.resolve("boot/vmlinuz"), "a newer kernel");
        VirtualMachineSpec again = PinnedImages.pin(checker.confine(spec(), "n1"), files, images);
        assertEquals("a newer kernel", Files.readString(Path.of(again.boot().kernel())));
    }

    /** The attack: the directory the checked path runs through becomes a link to a host directory. */
    private void swapBootDirectoryForALinkToTheHost() throws IOException {
        Files.move(images.resolve("boot"), images.resolve("boot-was"));
        Files.createSymbolicLink(images.resolve("boot"), host);
    }

    private static VirtualMachineSpec spec() {
        return new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1), "128Mi",
                new VirtualMachineSpec.Boot("boot/vmlinuz", "boot/initrd.img", "console=ttyS0"),
                List.of(new VirtualMachineSpec.Disk("root", "boot/disk.qcow2")), null, null, null);
    }
}
