package dev.vireo.api;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Kernels, initrds and disk images may come only from the images directory ({@code --images}): a path
 * that resolves (links followed) anywhere else would hand a host file to the guest (KubeVirt had
 * advisories for exactly this). Relative paths are taken relative to the images directory.
 */
public final class ImagePaths {

    private final Path imagesDir;

    public ImagePaths(Path imagesDir) {
        this.imagesDir = imagesDir.toAbsolutePath().normalize();
    }

    /** @throws InvalidManifestException naming the first field whose path is not an image of the images directory */
    public void check(VirtualMachineSpec spec) {
        checked(spec);
    }

    /**
     * Checks {@code spec} as {@link #check} does and returns it with every image path absolute (a relative path
     * is taken inside the images directory): the node opens what the spec says, wherever it runs.
     */
    public VirtualMachineSpec checked(VirtualMachineSpec spec) {
        VirtualMachineSpec.Boot boot = spec.boot();
        if (boot != null) {
            boot = new VirtualMachineSpec.Boot(check("spec.boot.kernel", boot.kernel()),
                    check("spec.boot.initrd", boot.initrd()), boot.cmdline());
        }
        java.util.List<VirtualMachineSpec.Disk> disks = spec.disks();
        if (disks != null) {
            java.util.List<VirtualMachineSpec.Disk> absolute = new java.util.ArrayList<>();
            for (int i = 0; i < disks.size(); i++) {
                VirtualMachineSpec.Disk disk = disks.get(i);
                absolute.add(new VirtualMachineSpec.Disk(disk.name(), check("spec.disks[" + i + "].image", disk.image())));
            }
            disks = java.util.List.copyOf(absolute);
        }
        return new VirtualMachineSpec(spec.runStrategy(), spec.cpu(), spec.memory(), boot, disks, spec.nodeSelector(),
                spec.evictionStrategy(), spec.terminationGracePeriodSeconds());
    }

    /** The absolute form of {@code path} (as given, not with links resolved), once it is checked. */
    private String check(String field, String path) {
        if (path == null || path.isBlank()) {
            return path;
        }
        Path realImages;
        try {
            realImages = imagesDir.toRealPath();
        } catch (IOException e) {
            throw invalid(field, path, "cannot be used: the images directory " + imagesDir + " does not exist");
        }
        Path real;
        try {
            real = imagesDir.resolve(path).toRealPath();
        } catch (InvalidPathException e) {
            throw invalid(field, path, "is not a valid path");
        } catch (IOException e) {
            throw invalid(field, path, "does not exist");
        }
        if (!real.startsWith(realImages)) {
            throw invalid(field, path, "resolves to " + real + ", outside the images directory");
        }
        if (!Files.isRegularFile(real)) {
            throw invalid(field, path, "is not a regular file");
        }
        if (!Files.isReadable(real)) {
            throw invalid(field, path, "is not readable by Vireo");
        }
        return imagesDir.resolve(path).normalize().toString();
    }

    private InvalidManifestException invalid(String field, String path, String problem) {
        return new InvalidManifestException(field, field + " " + path + " " + problem + "; kernels, initrds and"
                + " disk images may only come from the images directory " + imagesDir
                + " (bin/vireo up --images DIR; links are followed and must stay inside it)");
    }
}
