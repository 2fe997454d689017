package dev.vireo.node;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.PointerType;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A snapshot of a running guest that pauses it as briefly as libvirt can. An external snapshot without metadata
 * switches each of the VM's overlays to a fresh one beside it ({@code disk-<d>.qcow2.snapshotting}): disk-only, in
 * one atomic step without stopping the guest; with memory, the memory is written while the guest runs and the guest
 * is paused only for the last pass and the switch. The overlays, still now, are copied into the snapshot while the
 * guest goes on, and an active block commit folds the fresh overlay back into the VM's own and pivots to it, so the
 * VM's files are what they were. The commit is shallow (into the overlay, never below it): the base image is never
 * written. No libvirt snapshot metadata is left behind (it would block live migration).
 */
final class LiveSnapshots {

    private static final Logger log = LoggerFactory.getLogger(LiveSnapshots.class);

    /** The file a disk writes to while its overlay is being copied. */
    static final String WRITES_SUFFIX = ".snapshotting";

    // virDomainSnapshotCreateFlags
    private static final int NO_METADATA = 4;
    private static final int DISK_ONLY = 16;
    private static final int ATOMIC = 128;
    private static final int LIVE = 256;
    // virDomainBlockCommitFlags, virDomainBlockJobAbortFlags, virDomainBlockJobType
    private static final int COMMIT_SHALLOW = 1;
    private static final int COMMIT_ACTIVE = 4;
    private static final int ABORT_PIVOT = 2;
    private static final int JOB_ACTIVE_COMMIT = 4;
    // virDomainState, virDomainPausedReason
    private static final int STATE_PAUSED = 3;
    private static final int PAUSED_FROM_SNAPSHOT = 7;
    private static final int PAUSED_SNAPSHOT = 9;
    private static final Duration COMMIT_DEADLINE = Duration.ofMinutes(10);

    /** How long the guest was seen paused, and how long the snapshot call (the switch) took. */
    record Taken(long pauseMs, long switchMs) {
    }

    private LiveSnapshots() {
    }

    /**
     * Takes the snapshot of the running (or paused) guest into {@code part}: copies of the VM's overlays (those in
     * {@code vmDirectory}) and, with {@code memory}, its memory in {@code memory.state}. The guest runs on its own
     * overlays again when this returns, whatever happened.
     */
    static Taken take(Domain domain, Path vmDirectory, Path part, boolean memory) throws LibvirtException,
            IOException {
        List<DomainXml.FileDisk> overlays = overlays(domain, vmDirectory);
        if (overlays.isEmpty() && !memory) {
            throw new IOException("the domain has no disk overlay of its own in " + vmDirectory + " to snapshot");
        }
        String request = snapshotXml(overlays, memory ? SnapshotFiles.memory(part) : null);
        int flags = NO_METADATA | ATOMIC | (memory ? LIVE : DISK_ONLY);
        long began = System.nanoTime();
        long pausedNanos;
        try (PauseWatch watch = PauseWatch.start(domain)) {
            try {
                domain.snapshotCreateXML(request, flags).free();
            } finally {
                pausedNanos = watch.stop();
            }
        } catch (LibvirtException | RuntimeException e) {
            commitBack(domain, vmDirectory); // an atomic snapshot that failed switched nothing; this makes sure
            throw e;
        }
        long switchMs = (System.nanoTime() - began) / 1_000_000;
        try {
            for (DomainXml.FileDisk disk : overlays) {
                Path overlay = Path.of(disk.source());
                Files.copy(overlay, part.resolve(overlay.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
            }
        } finally {
            commitBack(domain, vmDirectory);
        }
        return new Taken(pausedNanos / 1_000_000, switchMs);
    }

    /**
     * Brings every disk that writes to a {@code .snapshotting} file back onto the VM's own overlay (commit, pivot)
     * and deletes the file; a commit already under way (a node runtime that died mid-snapshot) is waited for. Does
     * nothing for a domain on its own overlays. Returns how many disks it brought back.
     */
    static int commitBack(Domain domain, Path vmDirectory) throws LibvirtException, IOException {
        int brought = 0;
        for (DomainXml.FileDisk disk : DomainXml.fileDisks(domain.getXMLDesc(0))) {
            if (!disk.source().endsWith(WRITES_SUFFIX)) {
                continue;
            }
            commit(domain, disk.target());
            Files.deleteIfExists(Path.of(disk.source()));
            brought++;
        }
        // files of a switch that failed, or of a commit that pivoted before its file was deleted
        try (var left = Files.newDirectoryStream(vmDirectory, "disk-*.qcow2" + WRITES_SUFFIX)) {
            for (Path file : left) {
                Files.deleteIfExists(file);
            }
        } catch (java.nio.file.NoSuchFileException gone) {
            // no directory, nothing left
        }
        return brought;
    }

    /** Whether the domain is paused, and by a snapshot (libvirt's reason), not by its user. */
    static boolean pausedBySnapshot(Domain domain) throws IOException {
        com.sun.jna.ptr.IntByReference state = new com.sun.jna.ptr.IntByReference();
        com.sun.jna.ptr.IntByReference reason = new com.sun.jna.ptr.IntByReference();
        if (Virt.LIB.virDomainGetState(LibvirtMigrate.pointer(domain, "vdp"), state, reason, 0) < 0) {
            throw new IOException("state unreadable: " + Virt.LIB.virGetLastErrorMessage());
        }
        return state.getValue() == STATE_PAUSED && (reason.getValue() == PAUSED_SNAPSHOT
                || reason.getValue() == PAUSED_FROM_SNAPSHOT);
    }

    /** The VM's own overlays among the domain's disks (its files in its directory), as the domain uses them now. */
    private static List<DomainXml.FileDisk> overlays(Domain domain, Path vmDirectory) throws LibvirtException {
        List<DomainXml.FileDisk> own = new ArrayList<>();
        for (DomainXml.FileDisk disk : DomainXml.fileDisks(domain.getXMLDesc(0))) {
            Path source = Path.of(disk.source());
            String file = source.getFileName().toString();
            if (vmDirectory.equals(source.getParent()) && file.startsWith("disk-") && file.endsWith(".qcow2")) {
                own.add(disk);
            }
        }
        return own;
    }

    private static String snapshotXml(List<DomainXml.FileDisk> overlays, Path memoryFile) {
        StringBuilder xml = new StringBuilder("<domainsnapshot>\n  <name>vireo-")
                .append(System.currentTimeMillis()).append("</name>\n");
        if (memoryFile == null) {
            xml.append("  <memory snapshot='no'/>\n");
        } else {
            xml.append("  <memory snapshot='external' file='").append(DomainXml.escape(memoryFile.toString()))
                    .append("'/>\n");
        }
        xml.append("  <disks>\n");
        for (DomainXml.FileDisk disk : overlays) {
            xml.append("    <disk name='").append(DomainXml.escape(disk.target()))
                    .append("' snapshot='external' type='file'><driver type='qcow2'/><source file='")
                    .append(DomainXml.escape(disk.source() + WRITES_SUFFIX)).append("'/></disk>\n");
        }
        return xml.append("  </disks>\n</domainsnapshot>\n").toString();
    }

    /** Folds the disk's active layer into the layer below it and pivots to that one. */
    private static void commit(Domain domain, String target) throws IOException {
        PointerType dom = LibvirtMigrate.pointer(domain, "vdp");
        BlockJobInfo info = new BlockJobInfo();
        int job = Virt.LIB.virDomainGetBlockJobInfo(dom, target, info, 0);
        if (job < 0) {
            throw new IOException("block job of " + target + " unreadable: " + Virt.LIB.virGetLastErrorMessage());
        }
        if (job == 0 || info.type != JOB_ACTIVE_COMMIT) {
            if (Virt.LIB.virDomainBlockCommit(dom, target, null, null, new NativeLong(0),
                    COMMIT_SHALLOW | COMMIT_ACTIVE) < 0) {
                throw new IOException("commit of " + target + " back into its overlay failed: "
                        + Virt.LIB.virGetLastErrorMessage());
            }
        } else {
            log.info("a commit of {} was already under way (left by an earlier run); waiting for it", target);
        }
        long deadline = System.nanoTime() + COMMIT_DEADLINE.toNanos();
        String last = "not ready";
        while (System.nanoTime() < deadline) {
            if (Virt.LIB.virDomainGetBlockJobInfo(dom, target, info, 0) == 1 && info.end > 0 && info.cur == info.end) {
                if (Virt.LIB.virDomainBlockJobAbort(dom, target, ABORT_PIVOT) == 0) {
                    return;
                }
                last = Virt.LIB.virGetLastErrorMessage();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while committing " + target);
            }
        }
        throw new IOException("the commit of " + target + " did not become ready to pivot in " + COMMIT_DEADLINE
                + ": " + last);
    }

    /** Watches the domain's state while a call runs: how long it was paused (sampled every few milliseconds). */
    private static final class PauseWatch implements AutoCloseable {
        private final Domain domain;
        private final Thread thread;
        private volatile boolean stopped;
        private long pausedNanos;
        private long pausedSince = -1;

        private PauseWatch(Domain domain) {
            this.domain = domain;
            this.thread = new Thread(this::run, "snapshot-pause-watch");
            this.thread.setDaemon(true);
        }

        static PauseWatch start(Domain domain) {
            PauseWatch watch = new PauseWatch(domain);
            watch.thread.start();
            return watch;
        }

        private void run() {
            while (!stopped) {
                sample();
                try {
                    Thread.sleep(3);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private synchronized void sample() {
            boolean paused;
            try {
                paused = domain.getInfo().state == DomainInfo.DomainState.VIR_DOMAIN_PAUSED;
            } catch (LibvirtException | RuntimeException e) {
                return;
            }
            long now = System.nanoTime();
            if (paused && pausedSince < 0) {
                pausedSince = now;
            } else if (!paused && pausedSince >= 0) {
                pausedNanos += now - pausedSince;
                pausedSince = -1;
            }
        }

        /** Stops watching; returns the time seen paused (a pause still on counts until now). */
        long stop() {
            stopped = true;
            try {
                thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            sample();
            synchronized (this) {
                return pausedNanos + (pausedSince >= 0 ? System.nanoTime() - pausedSince : 0);
            }
        }

        @Override
        public void close() {
            stopped = true;
        }
    }

    /** The calls libvirt-java 0.5.2 lacks. */
    private interface Virt extends Library {
        Virt LIB = Native.load("virt", Virt.class);

        int virDomainBlockCommit(PointerType dom, String disk, String base, String top, NativeLong bandwidth,
                                 int flags);

        int virDomainGetBlockJobInfo(PointerType dom, String disk, BlockJobInfo info, int flags);

        int virDomainBlockJobAbort(PointerType dom, String disk, int flags);

        int virDomainGetState(PointerType dom, com.sun.jna.ptr.IntByReference state,
                              com.sun.jna.ptr.IntByReference reason, int flags);

        String virGetLastErrorMessage();
    }

    /** virDomainBlockJobInfo. */
    @Structure.FieldOrder({"type", "bandwidth", "cur", "end"})
    public static final class BlockJobInfo extends Structure {
        public int type;
        public NativeLong bandwidth;
        public long cur;
        public long end;
    }
}
