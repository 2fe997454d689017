package dev.vireo.node;

import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Gets a VM's files ready for a boot: the directory, one overlay per disk (made on the first start,
 * kept for every later one) and an empty console log. Blocking: runs on the agent's libvirt pool.
 */
final class GuestFiles {

    private static final Set<String> BASE_FORMATS = Set.of("qcow2", "raw");

    private GuestFiles() {
    }

    /** A disk as the domain sees it: its name in the spec and the overlay QEMU opens. */
    record DiskFile(String name, Path overlay) {
    }

    static List<DiskFile> prepare(VmFiles files, String uid, VirtualMachineSpec spec) throws IOException {
        files.createDirectory();
        forgetEarlierVm(files, uid);
        List<DiskFile> disks = new ArrayList<>();
        for (VirtualMachineSpec.Disk disk : spec.withDefaults().disks()) {
            Path overlay = files.overlay(disk.name());
            if (!Files.exists(overlay)) {
                createOverlay(disk, overlay);
            }
            disks.add(new DiskFile(disk.name(), overlay));
        }
        // virtlogd keeps writing a file it has open: a fresh file per boot, so the log starts at this boot.
        Files.deleteIfExists(files.consoleLog());
        return disks;
    }

    /**
     * Gets the files ready for a domain that arrives by live migration: fresh overlays (the source's are copied into
     * them, so nothing of an earlier run on this node may stay in them) and an empty console log.
     */
    static List<DiskFile> prepareIncoming(VmFiles files, String uid, VirtualMachineSpec spec) throws IOException {
        files.createDirectory();
        for (VirtualMachineSpec.Disk disk : spec.withDefaults().disks()) {
            Files.deleteIfExists(files.overlay(disk.name()));
        }
        return prepare(files, uid, spec);
    }

    /**
     * The VM's files by role, the same on every node: {@code console}, {@code disk:<name>} (overlays) and
     * {@code image:<path in the manifest>} (base images, kernel, initrd) mapped to their paths here. Migration puts
     * the target's path where the source's was.
     */
    static java.util.Map<String, String> byRole(VirtualMachineSpec asGiven, VirtualMachineSpec confined, VmFiles files) {
        java.util.Map<String, String> roles = new java.util.TreeMap<>();
        roles.put("console", files.consoleLog().toString());
        VirtualMachineSpec.Boot given = asGiven.boot();
        VirtualMachineSpec.Boot here = confined.boot();
        if (given != null && here != null) {
            putIf(roles, given.kernel(), here.kernel());
            putIf(roles, given.initrd(), here.initrd());
        }
        List<VirtualMachineSpec.Disk> givenDisks = asGiven.withDefaults().disks();
        List<VirtualMachineSpec.Disk> disks = confined.withDefaults().disks();
        for (int i = 0; i < disks.size(); i++) {
            roles.put("disk:" + disks.get(i).name(), files.overlay(disks.get(i).name()).toString());
            putIf(roles, givenDisks.get(i).image(), disks.get(i).image());
        }
        return roles;
    }

    private static void putIf(java.util.Map<String, String> roles, String given, String here) {
        if (given != null && here != null) {
            roles.put("image:" + given, here);
        }
    }

    private static void createOverlay(VirtualMachineSpec.Disk disk, Path overlay) throws IOException {
        // The real path: a link swapped later cannot redirect this overlay to another file.
        Path base = Path.of(disk.image()).toRealPath();
        QemuImg.Info info = QemuImg.info(base);
        if (!BASE_FORMATS.contains(info.format())) {
            throw new IOException("disk '" + disk.name() + "': base image " + base + " is " + info.format()
                    + "; use a qcow2 or raw image");
        }
        if (info.backingFile() != null) {
            // A backing chain would let an image reach files outside the images directory.
            throw new IOException("disk '" + disk.name() + "': base image " + base + " has a backing file ("
                    + info.backingFile() + "); flatten it first (qemu-img convert -O qcow2)");
        }
        Path partial = overlay.resolveSibling(overlay.getFileName() + ".part");
        Files.deleteIfExists(partial);
        QemuImg.createOverlay(base, info.format(), partial);
        // Only a complete overlay gets the final name, so a crash mid-way never leaves one that gets reused.
        Files.move(partial, overlay, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Overlays left by an earlier VM of the same name (deleted, created again) are not this VM's disks. */
    private static void forgetEarlierVm(VmFiles files, String uid) throws IOException {
        String previous = files.owner().orElse(null);
        if (uid == null || uid.equals(previous)) {
            return;
        }
        if (previous != null) {
            try (DirectoryStream<Path> overlays = Files.newDirectoryStream(files.directory(), "disk-*.qcow2*")) {
                for (Path overlay : overlays) {
                    Files.deleteIfExists(overlay);
                }
            }
            SnapshotFiles.deleteTree(files.directory().resolve("snapshots")); // the earlier VM's snapshots
        }
        files.recordOwner(uid);
    }
}
