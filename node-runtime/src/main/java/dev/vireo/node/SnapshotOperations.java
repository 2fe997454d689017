package dev.vireo.node;

import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.node.OwnedDomains.Owned;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.vm.RestorePolicy;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Snapshots as the VM's own files, no libvirt snapshot metadata (it would block live migration). A running guest
 * is saved ({@code virDomainSave}: paused, its memory written, QEMU gone, so the overlays are still), its overlays
 * copied, and restored from the saved state: disks and memory are of one instant, and the guest was paused for
 * the save, the copy and the restore. The base images are only ever read.
 */
final class SnapshotOperations {

    private static final Logger log = LoggerFactory.getLogger(SnapshotOperations.class);
    /** virDomainGetXMLDesc: the XML a saved guest is restored with. */
    private static final int XML_MIGRATABLE = 8;

    private final String node;
    private static final java.time.Duration STOPPED_EVENT_WAIT = java.time.Duration.ofSeconds(5);

    private final OwnedDomains.Changes owned;
    private final Path dataDirectory;
    /** Starts the domain as a StartDomain would (for a restore that boots the guest again). */
    private final StartDomainStep start;

    /** Takes the domain down and forgets it, as a RemoveDomain would. */
    private final Removal remove;

    interface StartDomainStep {
        Done start(Hypervisor hv, NodeAgentCommand.StartDomain start) throws LibvirtException, IOException;
    }

    interface Removal {
        void destroyAndUndefine(VireoDomain d) throws LibvirtException;
    }

    /** Brings a snapshot taken on another node here (the VM migrated since). */
    private final SnapshotFetch fetch;

    SnapshotOperations(String node, OwnedDomains.Changes owned, Path dataDirectory, StartDomainStep start,
                       Removal remove, SnapshotFetch fetch) {
        this.fetch = fetch;
        this.node = node;
        this.owned = owned;
        this.dataDirectory = dataDirectory;
        this.start = start;
        this.remove = remove;
    }

    Done take(Hypervisor hv, NodeAgentCommand.TakeSnapshot c) throws LibvirtException, IOException {
        VmFiles vm = VmFiles.of(dataDirectory, c.vm());
        SnapshotFiles snap = new SnapshotFiles(vm, c.snapshot());
        if (snap.complete()) { // asked again (the control plane recovered): it is taken
            return Done.of(new NodeReport.SnapshotTaken(c.vm(), node, c.incarnation(), c.snapshot(), snap.size(), -1, 0));
        }
        long began = System.nanoTime();
        Path part = snap.partial();
        SnapshotFiles.deleteTree(part); // a half-taken snapshot of a crash is not one
        Files.createDirectories(part);
        // says, should this node runtime die before it reports, which snapshot was under way (see recover)
        Interrupted.mark(snap, c);
        try {
            return taking(hv, c, vm, snap, part, began);
        } finally {
            Files.deleteIfExists(snap.marker());
        }
    }

    private Done taking(Hypervisor hv, NodeAgentCommand.TakeSnapshot c, VmFiles vm, SnapshotFiles snap, Path part,
                        long began) throws LibvirtException, IOException {
        VireoDomain d = hv.lookupVireo(c.vm().domainName()).vireo();
        boolean runs = d != null && d.meta().vm().equals(c.vm()) && d.state().active();
        long pauseMs = 0;
        try {
            if (c.online() && !runs) {
                return failed(c, "the domain of " + c.vm() + " does not run on node " + node + "; nothing to snapshot online");
            }
            if (!c.online() && runs) {
                return failed(c, "the domain of " + c.vm() + " runs on node " + node + "; stop it, or snapshot it online");
            }
            // A paused guest's memory written by a live snapshot leaves its disks inactive (read-only) until it runs
            // again, so the switch could not be committed back: it is saved instead (it is paused anyway).
            boolean pausedWithMemory = c.memory() && d != null && d.state() == DomainState.Paused;
            if (runs && hv.virtualization() != Virtualization.TEST && !pausedWithMemory) {
                pauseMs = live(d, vm, part, c);
            } else if (runs) { // the test driver has no external snapshots: saved, copied, restored
                pauseMs = saveCopyRestore(hv, d, snap, part, c.memory());
            } else {
                copyOverlays(snap.overlays(), part);
            }
            Files.move(part, snap.directory(), StandardCopyOption.ATOMIC_MOVE);
        } finally {
            SnapshotFiles.deleteTree(part);
        }
        long durationMs = (System.nanoTime() - began) / 1_000_000;
        log.info("snapshot {} of {} (request {}) taken on node {}: {} bytes, guest paused {} ms, {} ms in all",
                c.snapshot(), c.vm(), c.requestId(), node, snap.size(), pauseMs, durationMs);
        return Done.of(new NodeReport.SnapshotTaken(c.vm(), node, c.incarnation(), c.snapshot(), snap.size(), pauseMs,
                durationMs));
    }

    /**
     * An external snapshot that switches the guest to fresh overlays, a copy of its own while it runs, a commit back
     * ({@link LiveSnapshots}); returns how long the guest was paused by it (0 for a guest that was paused already).
     */
    private long live(VireoDomain d, VmFiles vm, Path part, NodeAgentCommand.TakeSnapshot c)
            throws LibvirtException, IOException {
        if (LiveSnapshots.commitBack(d.domain(), vm.directory()) > 0) { // left by a node runtime that died mid-snapshot
            log.warn("{}: disks left on their snapshot-time files were committed back first", c.vm());
        }
        String xml = d.domain().getXMLDesc(XML_MIGRATABLE);
        boolean running = d.state() == DomainState.Running;
        if (c.memory() && running) { // the guest is paused for the last pass and resumed: not the user's pause
            owned.expect(d.uuid(), DomainEventType.SUSPENDED);
            owned.expect(d.uuid(), DomainEventType.RESUMED);
        }
        LiveSnapshots.Taken taken;
        try {
            taken = LiveSnapshots.take(d.domain(), vm.directory(), part, c.memory());
        } catch (LibvirtException | IOException | RuntimeException e) {
            if (c.memory() && running) {
                owned.unexpect(d.uuid(), DomainEventType.SUSPENDED);
                owned.unexpect(d.uuid(), DomainEventType.RESUMED);
            }
            throw e;
        }
        if (c.memory()) {
            Files.writeString(SnapshotFiles.domainXml(part), xml, StandardCharsets.UTF_8);
        }
        log.info("snapshot {} of {} (request {}): external {} snapshot in {} ms, guest seen paused {} ms, overlays"
                        + " copied and committed back", c.snapshot(), c.vm(), c.requestId(),
                c.memory() ? "live memory and disk" : "disk-only", taken.switchMs(), running ? taken.pauseMs() : 0);
        return running ? taken.pauseMs() : 0;
    }

    /** Saves the guest into {@code part}, copies its overlays there, and restores it; returns how long it was paused. */
    private long saveCopyRestore(Hypervisor hv, VireoDomain d, SnapshotFiles snap, Path part, boolean memory)
            throws LibvirtException, IOException {
        Path state = SnapshotFiles.memory(part);
        String xml = d.domain().getXMLDesc(XML_MIGRATABLE);
        long paused = System.nanoTime();
        boolean wasPaused = d.state() == DomainState.Paused;
        boolean suspendsAgain = wasPaused && hv.virtualization() != Virtualization.TEST; // QEMU's restore says so
        owned.expect(d.uuid(), DomainEventType.STOPPED);
        try {
            d.domain().save(state.toString());
        } catch (LibvirtException e) {
            owned.unexpect(d.uuid(), DomainEventType.STOPPED);
            throw e;
        }
        try {
            copyOverlays(snap.overlays(), part);
        } finally {
            // the guest comes back whatever the copy did (paused again if it was: a SUSPENDED of the restore)
            owned.expect(d.uuid(), DomainEventType.STARTED);
            if (suspendsAgain) {
                owned.expect(d.uuid(), DomainEventType.SUSPENDED);
            }
            try {
                // the same boot goes on: its console log too (a log opened with append='off' would start empty)
                String appending = xml.replace("append='off'", "append='on'");
                hv.restoreSaved(state, appending.equals(xml) ? null : appending, d.name());
            } catch (LibvirtException | RuntimeException e) {
                owned.unexpect(d.uuid(), DomainEventType.STARTED);
                if (suspendsAgain) {
                    owned.unexpect(d.uuid(), DomainEventType.SUSPENDED);
                }
                throw e;
            }
        }
        long pauseMs = wasPaused ? 0 : (System.nanoTime() - paused) / 1_000_000;
        if (memory) {
            Files.writeString(SnapshotFiles.domainXml(part), xml, StandardCharsets.UTF_8);
        } else {
            Files.delete(state);
        }
        return pauseMs;
    }

    /** A snapshot a node runtime that died (killed, crashed) left under way: which one, and for whom. */
    record Interrupted(VmId vm, String snapshot, long incarnation, String requestId, boolean memory) {

        static void mark(SnapshotFiles snap, NodeAgentCommand.TakeSnapshot c) throws IOException {
            Files.writeString(snap.marker(), String.join("\n", c.vm().namespace(), c.vm().name(),
                    Long.toString(c.incarnation()), String.valueOf(c.requestId()), Boolean.toString(c.memory())) + "\n",
                    StandardCharsets.UTF_8);
        }

        /** The snapshots left under way in {@code dataDirectory}, as their markers say. */
        static List<Interrupted> in(Path dataDirectory) {
            List<Interrupted> found = new java.util.ArrayList<>();
            Path vms = dataDirectory.toAbsolutePath().normalize().resolve("vms");
            if (!Files.isDirectory(vms)) {
                return found;
            }
            try (var dirs = Files.newDirectoryStream(vms)) {
                for (Path dir : dirs) {
                    Path snapshots = dir.resolve("snapshots");
                    if (!Files.isDirectory(snapshots)) {
                        continue;
                    }
                    try (var markers = Files.newDirectoryStream(snapshots, "*" + SnapshotFiles.MARKER)) {
                        for (Path marker : markers) {
                            String name = marker.getFileName().toString();
                            read(marker, name.substring(0, name.length() - SnapshotFiles.MARKER.length()))
                                    .ifPresent(found::add);
                        }
                    }
                }
            } catch (IOException e) {
                log.warn("snapshots left under way in {} could not be listed: {}", vms, e.toString());
            }
            return found;
        }

        private static java.util.Optional<Interrupted> read(Path marker, String snapshot) {
            try {
                List<String> lines = Files.readAllLines(marker, StandardCharsets.UTF_8);
                return java.util.Optional.of(new Interrupted(new VmId(lines.get(0), lines.get(1)), snapshot,
                        Long.parseLong(lines.get(2)), lines.get(3), Boolean.parseBoolean(lines.get(4))));
            } catch (IOException | RuntimeException e) {
                log.warn("marker {} of a snapshot under way is unreadable ({}); removed", marker, e.toString());
                try {
                    Files.deleteIfExists(marker);
                } catch (IOException ignored) {
                    // it is tried again at the next start
                }
                return java.util.Optional.empty();
            }
        }
    }

    /**
     * A snapshot this node's previous runtime left under way, settled when the agent is back: the guest runs on its
     * own overlays again (a switch committed back, a guest left paused by the snapshot resumed, one left saved
     * restored), and the snapshot is reported taken if it is whole, failed (its half removed) if not: never half.
     */
    Done recover(Hypervisor hv, Interrupted i) throws LibvirtException, IOException {
        VmFiles vm = VmFiles.of(dataDirectory, i.vm());
        SnapshotFiles snap = new SnapshotFiles(vm, i.snapshot());
        List<String> done = new java.util.ArrayList<>();
        try {
            VireoDomain d = hv.lookupVireo(i.vm().domainName()).vireo();
            boolean ours = d != null && d.meta().vm().equals(i.vm());
            Path saved = SnapshotFiles.memory(snap.partial());
            if (ours && !d.state().active() && Files.exists(saved) && hv.virtualization() == Virtualization.TEST) {
                owned.expect(d.uuid(), DomainEventType.STARTED);
                hv.restoreSaved(saved, null, d.name()); // left saved by the save-copy-restore of the test driver
                done.add("the saved guest restored");
            }
            if (ours && d.state().active() && hv.virtualization() != Virtualization.TEST) {
                int brought = LiveSnapshots.commitBack(d.domain(), vm.directory());
                if (brought > 0) {
                    done.add(brought + " disk(s) committed back from the snapshot's switch");
                }
                if (LiveSnapshots.pausedBySnapshot(d.domain())) {
                    owned.expect(d.uuid(), DomainEventType.RESUMED);
                    d.domain().resume();
                    done.add("the guest, left paused by the snapshot, resumed");
                }
            }
            String settled = done.isEmpty() ? "the guest needed nothing" : String.join(", ", done);
            if (snap.complete()) {
                log.warn("snapshot {} of {} (request {}) was whole when the node runtime stopped before reporting it;"
                        + " reported taken now ({})", i.snapshot(), i.vm(), i.requestId(), settled);
                return Done.of(new NodeReport.SnapshotTaken(i.vm(), node, i.incarnation(), i.snapshot(), snap.size(),
                        -1, -1));
            }
            log.warn("snapshot {} of {} (request {}) was under way when the node runtime stopped: its half removed, {}",
                    i.snapshot(), i.vm(), i.requestId(), settled);
            return Done.of(new NodeReport.ActionFailed(i.vm(), node, i.incarnation(), NodeAction.TakeSnapshot,
                    "the node runtime of node " + node + " stopped while it took snapshot " + i.snapshot()
                            + "; the half-taken files were removed (" + settled + "); take it again"));
        } finally {
            SnapshotFiles.deleteTree(snap.partial());
            Files.deleteIfExists(snap.marker());
        }
    }

    Done restore(Hypervisor hv, NodeAgentCommand.RestoreSnapshot c) throws LibvirtException, IOException {
        long began = System.nanoTime();
        VmFiles vm = VmFiles.of(dataDirectory, c.vm());
        SnapshotFiles snap = new SnapshotFiles(vm, c.snapshot());
        // taken on another node (the VM migrated since): its files are fetched, now or by an earlier restore
        boolean fetched = c.from() != null && !c.from().equals(node);
        if (!snap.complete() && fetched) {
            try { // before the guest is touched: a snapshot that cannot be fetched leaves it as it is
                fetch.fetch(c.from(), c.vm(), c.snapshot(), snap, c.requestId());
            } catch (IOException e) {
                return failed(c, "snapshot " + c.snapshot() + " of " + c.vm() + " was taken on node " + c.from()
                        + " (the VM migrated since) and could not be fetched from there: " + e.getMessage());
            }
        }
        if (!snap.complete()) {
            return failed(c, "node " + node + " has no files of snapshot " + c.snapshot() + " of " + c.vm());
        }
        VireoDomain d = hv.lookupVireo(c.vm().domainName()).vireo();
        boolean ours = d != null && d.meta().vm().equals(c.vm());
        if (c.policy() == RestorePolicy.DisksOnly) {
            if (ours && d.state().active()) {
                return failed(c, "the domain of " + c.vm() + " runs on node " + node + "; a stopped VM's disks only are restored");
            }
            copyDisksBack(snap, vm, fetched);
            return restored(c, 0, began);
        }
        long down = System.nanoTime();
        if (ours) {
            remove.destroyAndUndefine(d);
            // the guest comes back under the same UUID: the old run's STOPPED event must reach the agent first,
            // or it would be taken for a crash of the restored guest
            awaitStopped(d, c);
        }
        try {
            copyDisksBack(snap, vm, fetched);
            if (c.policy() == RestorePolicy.ResumeFromMemory) {
                resumeFromMemory(hv, c, snap, vm, fetched);
            } else {
                Done started = start.start(hv, new NodeAgentCommand.StartDomain(node, c.vm(), c.uid(), c.incarnation(),
                        c.spec(), c.requestId()));
                if (!(started.reports().get(0) instanceof NodeReport.DomainStarted)) {
                    return downAfterFailure(c, started.reports().get(0).toString());
                }
            }
        } catch (LibvirtException | IOException | RuntimeException e) {
            return downAfterFailure(c, LibvirtPool.rootMessage(e));
        }
        return restored(c, (System.nanoTime() - down) / 1_000_000, began);
    }

    private void awaitStopped(VireoDomain d, NodeAgentCommand.RestoreSnapshot c) {
        try {
            owned.arrived(d.uuid(), DomainEventType.STOPPED).toCompletableFuture()
                    .get(STOPPED_EVENT_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("{} (request {}): the STOPPED event of the domain taken down for the restore did not arrive "
                    + "within {}; restoring anyway", c.vm(), c.requestId(), STOPPED_EVENT_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        }
    }

    /** The saved guest comes back under the VM's current incarnation, its console log a fresh one. */
    private void resumeFromMemory(Hypervisor hv, NodeAgentCommand.RestoreSnapshot c, SnapshotFiles snap, VmFiles vm,
                                  boolean fetched) throws LibvirtException, IOException {
        Path dir = snap.directory();
        String saved = Files.readString(SnapshotFiles.domainXml(dir), StandardCharsets.UTF_8);
        VireoMetadata was = DomainXml.metadata(saved).orElseThrow(() -> new IOException("snapshot " + c.snapshot()
                + " holds a domain XML without Vireo's metadata"));
        String here = fetched ? onThisNode(saved, vm) : saved; // the files the XML names are this node's
        String renewed = was.incarnation() == c.incarnation() ? here : DomainXml.withIncarnation(here, c.incarnation());
        String xml = renewed.equals(saved) ? null : renewed;
        String uuid = uuidOf(saved);
        Files.deleteIfExists(vm.consoleLog());
        owned.put(c.vm().domainName(), new Owned(new VireoMetadata(c.vm(), c.uid(), c.incarnation()), uuid));
        owned.expect(uuid, DomainEventType.STARTED);
        Domain domain;
        try {
            domain = hv.restoreSaved(SnapshotFiles.memory(dir), xml, c.vm().domainName());
        } catch (LibvirtException | RuntimeException e) {
            owned.unexpect(uuid, DomainEventType.STARTED);
            throw e;
        }
        hv.define(domain.getXMLDesc(XML_MIGRATABLE)); // persistent again, as every Vireo domain is
    }

    /**
     * A domain XML written on another node, naming this node's files: the other node's VM directory (overlays, pinned
     * kernel and initrd, console log) becomes this node's.
     */
    static String onThisNode(String xml, VmFiles vm) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("[>'\"]([^'\"<>]*/vms/" + java.util.regex.Pattern.quote(
                vm.directory().getFileName().toString()) + ")/").matcher(xml);
        if (!m.find() || m.group(1).equals(vm.directory().toString())) {
            return xml;
        }
        String there = m.group(1) + "/";
        String here = vm.directory() + "/";
        return xml.replace("'" + there, "'" + here).replace("\"" + there, "\"" + here).replace(">" + there, ">" + here);
    }

    private static String uuidOf(String xml) throws IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<uuid>([^<]+)</uuid>").matcher(xml);
        if (!m.find()) {
            throw new IOException("the snapshot's domain XML has no uuid");
        }
        return m.group(1).trim();
    }

    Done delete(NodeAgentCommand.DeleteSnapshot c) throws IOException {
        SnapshotFiles snap = new SnapshotFiles(VmFiles.of(dataDirectory, c.vm()), c.snapshot());
        SnapshotFiles.deleteTree(snap.directory());
        SnapshotFiles.deleteTree(snap.partial());
        log.info("snapshot {} of {} (request {}) deleted on node {}", c.snapshot(), c.vm(), c.requestId(), node);
        return new Done(List.of());
    }

    private static void copyOverlays(List<Path> overlays, Path into) throws IOException {
        for (Path overlay : overlays) {
            Files.copy(overlay, into.resolve(overlay.getFileName()), StandardCopyOption.COPY_ATTRIBUTES);
        }
    }

    /**
     * Each overlay becomes the snapshot's copy again, whole or not at all (written beside it, then renamed); a copy
     * {@code fetched} from another node is pointed at this node's base image first.
     */
    private static void copyDisksBack(SnapshotFiles snap, VmFiles vm, boolean fetched) throws IOException {
        for (Path copy : SnapshotFiles.disksIn(snap.directory())) {
            Path overlay = vm.directory().resolve(copy.getFileName());
            Path part = overlay.resolveSibling(overlay.getFileName() + ".part");
            Files.copy(copy, part, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            if (fetched && Files.exists(overlay)) {
                QemuImg.backLike(part, overlay);
            }
            Files.move(part, overlay, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Done restored(NodeAgentCommand.RestoreSnapshot c, long pauseMs, long began) {
        long durationMs = (System.nanoTime() - began) / 1_000_000;
        log.info("{} of {} (request {}) restored to snapshot {} on node {}: guest down {} ms, {} ms in all", c.policy(),
                c.vm(), c.requestId(), c.snapshot(), node, pauseMs, durationMs);
        return Done.of(new NodeReport.SnapshotRestored(c.vm(), node, c.incarnation(), c.snapshot(), pauseMs, durationMs));
    }

    /** The guest was taken down and could not be brought back: the restore failed, and so did the domain. */
    private Done downAfterFailure(NodeAgentCommand.RestoreSnapshot c, String why) {
        return Done.of(new NodeReport.ActionFailed(c.vm(), node, c.incarnation(), c.action(), why),
                new NodeReport.DomainCrashed(c.vm(), node, c.incarnation(), "restore to snapshot " + c.snapshot()
                        + " failed after the guest was stopped: " + why));
    }

    private Done failed(NodeAgentCommand c, String message) {
        return Done.of(new NodeReport.ActionFailed(c.vm(), node, DomainOperations.incarnationOf(c), c.action(), message));
    }
}
