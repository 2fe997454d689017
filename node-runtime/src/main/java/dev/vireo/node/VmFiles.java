package dev.vireo.node;

import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Where a VM's files live on its node: {@code <data>/vms/<namespace>_<name>/} holds the serial
 * console's log ({@code console.log}) and one qcow2 overlay per disk ({@code disk-<name>.qcow2}),
 * and records the uid of the VM they belong to ({@code uid}): a VM deleted and created again under the
 * same name has the same directory. The control plane reads the console log through the same paths.
 */
public final class VmFiles {

    /** Disk names are DNS-1123 labels (the manifest validator says so); anything else never becomes a path. */
    private static final Pattern DISK_NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    /** Which VM (uid) the files in the directory belong to. */
    private static final String UID_FILE = "uid";

    private final Path directory;

    private VmFiles(Path directory) {
        this.directory = directory;
    }

    public static VmFiles of(Path dataDirectory, VmId vm) {
        Objects.requireNonNull(dataDirectory, "dataDirectory");
        return new VmFiles(dataDirectory.toAbsolutePath().normalize().resolve("vms").resolve(vm.domainName()));
    }

    public Path directory() {
        return directory;
    }

    public Path consoleLog() {
        return directory.resolve("console.log");
    }

    public Path overlay(String diskName) {
        if (diskName == null || diskName.length() > 63 || !DISK_NAME.matcher(diskName).matches()) {
            throw new IllegalArgumentException("disk name '" + diskName + "' is not a DNS-1123 label");
        }
        return directory.resolve("disk-" + diskName + ".qcow2");
    }

    /**
     * Creates the directory (and {@code <data>/vms}) readable for QEMU, which libvirt runs as its own
     * user: it must be able to reach the overlays and kernels through every directory on the way.
     */
    void createDirectory() throws IOException {
        Files.createDirectories(directory);
        for (Path p = directory; p != null && p.getNameCount() > 0; p = p.getParent()) {
            if (!p.equals(directory) && !p.equals(directory.getParent())) {
                break; // only the two directories Vireo creates; the data directory itself is the operator's
            }
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    /** The uid of the VM the files belong to; empty when none is recorded (or there are no files). */
    Optional<String> owner() throws IOException {
        Path uidFile = directory.resolve(UID_FILE);
        return Files.exists(uidFile) ? Optional.of(Files.readString(uidFile, StandardCharsets.UTF_8).trim())
                : Optional.empty();
    }

    /** Records that the files are the VM {@code uid}'s from now on; the directory must exist. */
    void recordOwner(String uid) throws IOException {
        Files.writeString(directory.resolve(UID_FILE), uid, StandardCharsets.UTF_8);
    }

    /**
     * Removes the directory with everything in it, unless it belongs to another VM than {@code uid}: a
     * late delete of a deleted VM must not take the files of the VM created again under its name. Files
     * without a recorded owner were never claimed by a VM with a uid and are removed. A missing directory
     * is fine.
     *
     * @return false when the files are another VM's and were kept
     */
    boolean deleteIfOwnedBy(String uid) throws IOException {
        Optional<String> owner = owner();
        if (owner.isPresent() && !owner.get().equals(uid)) {
            return false;
        }
        delete();
        return true;
    }

    /**
     * What a VM that moved to another node leaves here: its snapshots (they stay restorable, fetched from here by the
     * node it runs on) and the uid they belong to; everything else goes. Without snapshots the directory goes whole.
     * Files of another VM than {@code uid} are kept.
     *
     * @return false when the files are another VM's and were kept
     */
    boolean leaveOnlySnapshotsIfOwnedBy(String uid) throws IOException {
        Optional<String> owner = owner();
        if (owner.isPresent() && !owner.get().equals(uid)) {
            return false;
        }
        Path snapshots = directory.resolve("snapshots");
        boolean any;
        try (var all = Files.list(snapshots)) {
            any = all.anyMatch(p -> Files.isDirectory(p) && !p.getFileName().toString().endsWith(".part"));
        } catch (java.nio.file.NoSuchFileException none) {
            any = false;
        }
        if (!any) {
            delete();
            return true;
        }
        try (var all = Files.list(directory)) {
            for (Path p : all.toList()) {
                if (!p.equals(snapshots) && !p.getFileName().toString().equals(UID_FILE)) {
                    SnapshotFiles.deleteTree(p);
                }
            }
        }
        return true;
    }

    /** Removes the directory with everything in it; a missing directory is fine. */
    private void delete() throws IOException {
        SnapshotFiles.deleteTree(directory);
    }

    @Override
    public String toString() {
        return directory.toString();
    }
}
