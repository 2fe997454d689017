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
    }

    private InvalidManifestException invalid(String field, String path, String problem) {
        return new InvalidManifestException(field, field + " " + path + " " + problem + "; kernels, initrds and"
                + " disk images may only come from the images directory " + imagesDir
                + " (bin/vireo up --images DIR; links are followed and must stay inside it)");
    }
}
