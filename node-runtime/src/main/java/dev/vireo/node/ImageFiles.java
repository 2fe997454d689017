package dev.vireo.node;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The node's own check of the files a VM boots from, made where they are opened: each path of the spec
 * names a file of this node's images directory (relative to it, or absolute inside it, {@code ..} resolved as
 * text), and that file's real path (links followed) is inside the directory too. The spec that comes back
 * names the real paths, so what QEMU opens is exactly what was checked.
 */
final class ImageFiles {

    private final Path directory;

    /** @param directory the images directory; null: no confinement (an agent tested on its own) */
    ImageFiles(Path directory) {
        this.directory = directory == null ? null : directory.toAbsolutePath().normalize();
    }

    /** The images directory; null: no confinement. */
    Path directory() {
        return directory;
    }

    /** @throws IOException naming the field whose file is not an image of this node */
    VirtualMachineSpec confine(VirtualMachineSpec spec, String node) throws IOException {
        if (directory == null) {
            return spec;
        }
        VirtualMachineSpec.Boot boot = spec.boot();
        if (boot != null) {
            boot = new VirtualMachineSpec.Boot(real("spec.boot.kernel", boot.kernel(), node),
                    real("spec.boot.initrd", boot.initrd(), node), boot.cmdline());
        }
        List<VirtualMachineSpec.Disk> disks = spec.disks();
        if (disks != null) {
            List<VirtualMachineSpec.Disk> confined = new ArrayList<>();
            for (int i = 0; i < disks.size(); i++) {
                VirtualMachineSpec.Disk disk = disks.get(i);
                confined.add(new VirtualMachineSpec.Disk(disk.name(),
                        real("spec.disks[" + i + "].image", disk.image(), node)));
            }
            disks = List.copyOf(confined);
        }
        return new VirtualMachineSpec(spec.runStrategy(), spec.cpu(), spec.memory(), boot, disks, spec.nodeSelector(),
                spec.evictionStrategy(), spec.terminationGracePeriodSeconds());
    }

    private String real(String field, String path, String node) throws IOException {
        if (path == null || path.isBlank()) {
            return path;
        }
        Optional<String> relative = NodeImages.relative(directory.toString(), path);
        if (relative.isEmpty()) {
            throw refused(field, path, node, "is not inside the images directory " + directory);
        }
        Path realDirectory;
        Path real;
        try {
            realDirectory = directory.toRealPath();
            real = directory.resolve(relative.get()).toRealPath();
        } catch (InvalidPathException | IOException e) {
            throw refused(field, path, node, "does not exist in the images directory " + directory);
        }
        if (!real.startsWith(realDirectory)) {
            throw refused(field, path, node, "resolves to " + real + ", outside the images directory " + directory);
        }
        if (!Files.isRegularFile(real)) {
            throw refused(field, path, node, "is not a regular file");
        }
        return real.toString();
    }

    private static IOException refused(String field, String path, String node, String problem) {
        return new IOException(field + " " + path + " " + problem + " of node " + node
                + "; kernels, initrds and disk images may only come from a node's images directory (--images)");
    }
}
