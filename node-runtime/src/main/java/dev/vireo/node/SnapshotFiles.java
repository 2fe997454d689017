package dev.vireo.node;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A snapshot's files in the VM's directory: {@code snapshots/<name>/} holds a copy of each disk overlay
 * ({@code disk-<disk>.qcow2}, backed by the same base image, which nothing ever writes), and for a snapshot with
 * memory the saved guest ({@code memory.state}) with the domain's XML and uuid. It is written as
 * {@code <name>.part/} and renamed when complete: a snapshot directory is whole, or is not there.
 */
final class SnapshotFiles {

    /** Snapshot names are DNS-1123 labels (the API says so); anything else never becomes a path. */
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");

    private final VmFiles vm;
    private final Path directory;

    SnapshotFiles(VmFiles vm, String name) {
        if (name == null || name.length() > 63 || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("snapshot name '" + name + "' is not a DNS-1123 label");
        }
        this.vm = vm;
        this.directory = vm.directory().resolve("snapshots").resolve(name);
    }

    Path directory() {
        return directory;
    }

    /** Beside a snapshot being taken: which one, for whom ({@link SnapshotOperations.Interrupted}). */
    static final String MARKER = ".taking";

    Path marker() {
        return directory.resolveSibling(directory.getFileName() + MARKER);
    }

    Path partial() {
        return directory.resolveSibling(directory.getFileName() + ".part");
    }

    boolean complete() {
        return Files.isDirectory(directory);
    }

    static Path memory(Path snapshotDirectory) {
        return snapshotDirectory.resolve("memory.state");
    }

    static Path domainXml(Path snapshotDirectory) {
        return snapshotDirectory.resolve("domain.xml");
    }

    /** The VM's disk overlays on this node (whatever the spec says now: the files are what there is). */
    List<Path> overlays() throws IOException {
        return disksIn(vm.directory());
    }

    static List<Path> disksIn(Path dir) throws IOException {
        List<Path> disks = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return disks;
        }
        try (DirectoryStream<Path> found = Files.newDirectoryStream(dir, "disk-*.qcow2")) {
            found.forEach(disks::add);
        }
        disks.sort(Comparator.naturalOrder());
        return disks;
    }

    long size() throws IOException {
        try (Stream<Path> all = Files.walk(directory)) {
            long total = 0;
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                total += Files.size(p);
            }
            return total;
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.delete(p);
                } catch (NoSuchFileException gone) {
                    // removed meanwhile
                }
            }
        }
    }
}
