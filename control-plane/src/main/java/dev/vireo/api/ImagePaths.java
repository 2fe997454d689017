package dev.vireo.api;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Kernels, initrds and disk images may come only from the images directory ({@code --images}): a path
 * that resolves (links followed) anywhere else would hand a host file to the guest.
 */
public final class ImagePaths {

    private final Path imagesDir;

    public ImagePaths(Path imagesDir) {
        this.imagesDir = imagesDir.toAbsolutePath().normalize();
    }

    /** @throws InvalidManifestException naming the field of a path outside the images directory */
    public void check(VirtualMachineSpec spec) {
        if (spec.boot() != null) {
            check("spec.boot.kernel", spec.boot().kernel());
            check("spec.boot.initrd", spec.boot().initrd());
        }
        if (spec.disks() != null) {
            for (int i = 0; i < spec.disks().size(); i++) {
                check("spec.disks[" + i + "].image", spec.disks().get(i).image());
            }
        }
    }

    private void check(String field, String path) {
        if (path == null || path.isBlank()) {
            return;
        }
        Path real;
        try {
            real = imagesDir.resolve(path).toRealPath();
        } catch (IOException | InvalidPathException e) {
            throw new InvalidManifestException(field, field + " " + path + " does not exist in the images directory "
                    + imagesDir + "; put it there (or start Vireo with --images DIR)");
        }
        boolean inside;
        try {
            inside = real.startsWith(imagesDir.toRealPath());
        } catch (IOException e) {
            inside = false;
        }
        if (!inside) {
            throw new InvalidManifestException(field, field + " " + path + " is outside the images directory "
                    + imagesDir + ": kernels and images may only come from there");
        }
    }
}
