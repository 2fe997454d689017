package dev.vireo.node;

import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the window between the node's check of an image ({@link ImageFiles}) and QEMU's open of it (hardening
 * finding 3). A path is checked, then opened later by another process: whoever may write the images directory
 * could swap a directory on the way for a link in between. So the node pins what it checked: a hard link in the
 * VM's own directory ({@code <data>/vms/<vm>/}, which only Vireo writes) to the checked file, verified after it
 * was made to be the very file (same device and inode) that still sits at the checked real path inside the
 * images directory. QEMU opens the pin; no later change of the images directory can change what it names.
 *
 * <p>Kernel and initrd are pinned. A disk's base image is reached through its overlay's backing path, made once
 * and kept for every later start (and named the same on a migration target): it is verified the same way at each
 * start ({@link #verify}), so its window is the few milliseconds between this start's check and QEMU's open.
 * Where a hard link cannot be made (the images directory on another file system) the file is copied and the copy
 * verified.
 */
final class PinnedImages {

    private static final Logger log = LoggerFactory.getLogger(PinnedImages.class);

    private PinnedImages() {
    }

    /** {@code confined} (real paths, checked by {@link ImageFiles}) with its kernel and initrd pinned in {@code files}. */
    static VirtualMachineSpec pin(VirtualMachineSpec confined, VmFiles files, Path imagesDirectory) throws IOException {
        VirtualMachineSpec.Boot boot = confined.boot();
        if (boot == null || imagesDirectory == null) {
            return confined;
        }
        Path realDirectory = imagesDirectory.toRealPath();
        VirtualMachineSpec.Boot pinned = new VirtualMachineSpec.Boot(
                pin("spec.boot.kernel", boot.kernel(), files.directory().resolve("boot-kernel"), realDirectory),
                pin("spec.boot.initrd", boot.initrd(), files.directory().resolve("boot-initrd"), realDirectory),
                boot.cmdline());
        return new VirtualMachineSpec(confined.runStrategy(), confined.cpu(), confined.memory(), pinned,
                confined.disks(), confined.nodeSelector(), confined.evictionStrategy(),
                confined.terminationGracePeriodSeconds());
    }

    /**
     * {@code confined} with kernel and initrd named by their pins in {@code files}, as {@link #pin} made them for a
     * domain that runs: what its XML names (a migration's source puts the target's pins in their place).
     */
    static VirtualMachineSpec pinned(VirtualMachineSpec confined, VmFiles files, Path imagesDirectory) {
        VirtualMachineSpec.Boot boot = confined.boot();
        if (boot == null || imagesDirectory == null) {
            return confined;
        }
        VirtualMachineSpec.Boot pinned = new VirtualMachineSpec.Boot(
                boot.kernel() == null || boot.kernel().isBlank() ? boot.kernel()
                        : files.directory().resolve("boot-kernel").toString(),
                boot.initrd() == null || boot.initrd().isBlank() ? boot.initrd()
                        : files.directory().resolve("boot-initrd").toString(),
                boot.cmdline());
        return new VirtualMachineSpec(confined.runStrategy(), confined.cpu(), confined.memory(), pinned,
                confined.disks(), confined.nodeSelector(), confined.evictionStrategy(),
                confined.terminationGracePeriodSeconds());
    }

    private static String pin(String field, String checked, Path pin, Path realDirectory) throws IOException {
        if (checked == null || checked.isBlank()) {
            return checked;
        }
        Path real = Path.of(checked);
        Files.deleteIfExists(pin);
        try {
            Files.createLink(pin, real); // linkat without following: a link put in place of the file is not followed
        } catch (IOException | UnsupportedOperationException cannotLink) {
            log.info("{} {}: no hard link possible ({}); pinned as a copy", field, real, cannotLink.toString());
            Files.copy(real, pin, LinkOption.NOFOLLOW_LINKS, StandardCopyOption.REPLACE_EXISTING);
        }
        try {
            verify(field, real, pin, realDirectory);
        } catch (IOException e) {
            Files.deleteIfExists(pin);
            throw e;
        }
        return pin.toString();
    }

    /**
     * Whether {@code real} is still what was checked: its own real path (no link on the way), inside the images
     * directory, a regular file, and (with a pin) the same file as the pin, or its copy.
     *
     * @throws IOException naming the field, when the file changed since it was checked
     */
    static void verify(String field, Path real, Path pin, Path realDirectory) throws IOException {
        Path now;
        try {
            now = real.toRealPath();
        } catch (IOException gone) {
            throw changed(field, real, "is gone");
        }
        if (!now.equals(real) || !now.startsWith(realDirectory)) {
            throw changed(field, real, "now resolves to " + now);
        }
        BasicFileAttributes file = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!file.isRegularFile()) {
            throw changed(field, real, "is no longer a regular file");
        }
        if (pin != null) {
            BasicFileAttributes pinned = Files.readAttributes(pin, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            boolean same = pinned.fileKey() != null && pinned.fileKey().equals(file.fileKey());
            boolean copy = !same && pinned.isRegularFile() && pinned.size() == file.size()
                    && Files.mismatch(pin, real) == -1;
            if (!same && !copy) {
                throw changed(field, real, "is not the file that was pinned");
            }
        }
    }

    /** Each disk's base image (real paths, checked) verified again just before QEMU opens it through its overlay. */
    static void verifyDisks(VirtualMachineSpec confined, Path imagesDirectory) throws IOException {
        if (confined.disks() == null || imagesDirectory == null) {
            return;
        }
        Path realDirectory = imagesDirectory.toRealPath();
        for (int i = 0; i < confined.disks().size(); i++) {
            String image = confined.disks().get(i).image();
            if (image != null && !image.isBlank()) {
                verify("spec.disks[" + i + "].image", Path.of(image), null, realDirectory);
            }
        }
    }

    private static IOException changed(String field, Path real, String what) {
        return new IOException(field + " " + real + " " + what + " since the node checked it; someone is changing"
                + " the images directory: start the VM again once it holds the file");
    }
}
