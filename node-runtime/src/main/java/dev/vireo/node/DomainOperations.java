package dev.vireo.node;

import dev.vireo.node.DomainStep.Again;
import dev.vireo.node.DomainStep.Done;
import dev.vireo.node.Hypervisor.Lookup;
import dev.vireo.node.Hypervisor.VireoDomain;
import dev.vireo.node.OwnedDomains.Owned;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The libvirt side of each {@link NodeAgentCommand}, as blocking {@link DomainStep}s. Before each call
 * that causes a lifecycle event the step records the expectation in {@link OwnedDomains}, so that the
 * event is not reported a second time as something that happened to the VM from outside.
 */
final class DomainOperations {

    static final Duration SHUTDOWN_POLL = Duration.ofMillis(200);

    private static final Logger log = LoggerFactory.getLogger(DomainOperations.class);

    private final String node;
    private final OwnedDomains.Changes owned;
    private final Path dataDirectory;
    private final Lease lease;
    private final ImageFiles images;
    private final LiveMigrations migrations;
    private final SnapshotOperations snapshots;

    DomainOperations(String node, OwnedDomains.Changes owned, Path dataDirectory, Lease lease, ImageFiles images,
                     LiveMigrations migrations) {
        this(node, owned, dataDirectory, lease, images, migrations, SnapshotFetch.NONE);
    }

    /** @param fetch how a snapshot taken on another node (before a migration) is brought here for a restore */
    DomainOperations(String node, OwnedDomains.Changes owned, Path dataDirectory, Lease lease, ImageFiles images,
                     LiveMigrations migrations, SnapshotFetch fetch) {
        this.node = node;
        this.owned = owned;
        this.dataDirectory = dataDirectory;
        this.lease = lease;
        this.images = images;
        this.migrations = migrations;
        this.snapshots = new SnapshotOperations(node, owned, dataDirectory, this::start,
                this::destroyAndUndefine, fetch);
    }

    /** Starting or resuming a guest needs the lease, checked right before libvirt is asked to. */
    private String withoutLease() {
        return "node " + node + " holds no valid lease right now (it cannot reach the control plane, or was"
                + " declared lost): it runs nothing until the lease is renewed";
    }

    /** The snapshots a previous node runtime on this data directory left under way. */
    List<SnapshotOperations.Interrupted> interruptedSnapshots() {
        return SnapshotOperations.Interrupted.in(dataDirectory);
    }

    /** Settles a snapshot left under way: the guest brought back, the snapshot reported taken or failed. */
    DomainStep recoverSnapshot(SnapshotOperations.Interrupted interrupted) {
        return hv -> snapshots.recover(hv, interrupted);
    }

    DomainStep stepFor(NodeAgentCommand command) {
        if (command instanceof NodeAgentCommand.StartDomain start) {
            return hv -> start(hv, start);
        } else if (command instanceof NodeAgentCommand.StopDomain stop) {
            return hv -> stop(hv, stop);
        } else if (command instanceof NodeAgentCommand.PauseDomain pause) {
            return hv -> pause(hv, pause);
        } else if (command instanceof NodeAgentCommand.ResumeDomain resume) {
            return hv -> resume(hv, resume);
        } else if (command instanceof NodeAgentCommand.EnsureDomain ensure) {
            return hv -> ensure(hv, ensure);
        } else if (command instanceof NodeAgentCommand.RemoveDomain remove) {
            return hv -> remove(hv, remove);
        } else if (command instanceof NodeAgentCommand.DeleteVmFiles delete) {
            return hv -> deleteFiles(hv, delete);
        } else if (command instanceof NodeAgentCommand.PrepareMigration prepare) {
            return hv -> migrations.prepare(hv, prepare);
        } else if (command instanceof NodeAgentCommand.MigrateDomain migrate) {
            return hv -> migrations.migrate(hv, migrate);
        } else if (command instanceof NodeAgentCommand.TakeSnapshot take) {
            return hv -> snapshots.take(hv, take);
        } else if (command instanceof NodeAgentCommand.RestoreSnapshot restore) {
            return hv -> snapshots.restore(hv, restore);
        } else if (command instanceof NodeAgentCommand.DeleteSnapshot delete) {
            return hv -> snapshots.delete(delete);
        }
        throw new IllegalArgumentException("unknown node agent command " + command);
    }

    private Done start(Hypervisor hv, NodeAgentCommand.StartDomain c) throws LibvirtException, IOException {
        String name = c.vm().domainName();
        Lookup found = hv.lookupVireo(name);
        if (found.foreign()) {
            return failed(c, "a domain named '" + name + "' exists on node " + node
                    + " that Vireo did not create; rename or remove it, Vireo leaves it alone");
        }
        String uuid = null;
        if (found.vireo() != null) {
            VireoDomain existing = found.vireo();
            owned.put(name, new Owned(existing.meta(), existing.uuid()));
            if (existing.state().active()) {
                if (existing.meta().incarnation() == c.incarnation()) {
                    return Done.of(existing.state() == DomainState.Paused
                            ? new NodeReport.DomainPaused(c.vm(), node, c.incarnation())
                            : new NodeReport.DomainStarted(c.vm(), node, c.incarnation()));
                }
                // Fencing: two incarnations of one VM must never run at once.
                return failed(c, "domain '" + name + "' already runs incarnation " + existing.meta().incarnation()
                        + " on node " + node + "; stop or remove that incarnation before starting "
                        + c.incarnation());
            }
            uuid = existing.uuid();
        }
        VireoMetadata meta = new VireoMetadata(c.vm(), c.uid(), c.incarnation());
        Virtualization virt = hv.virtualization();
        VirtualMachineSpec spec;
        try {
            spec = images.confine(c.spec(), node); // the real paths, checked here where QEMU opens them
        } catch (IOException e) {
            return failed(c, e.getMessage());
        }
        VmFiles files = null;
        List<GuestFiles.DiskFile> disks = List.of();
        VirtualMachineSpec confined = spec;
        if (virt.runsGuests()) {
            files = VmFiles.of(dataDirectory, c.vm());
            disks = GuestFiles.prepare(files, c.uid(), spec);
            try {
                spec = PinnedImages.pin(spec, files, images.directory()); // QEMU opens what was checked
            } catch (IOException e) {
                return failed(c, e.getMessage());
            }
        }
        Domain domain = hv.define(DomainXml.build(meta, spec, virt, uuid, files, disks));
        String definedUuid = domain.getUUIDString();
        owned.put(name, new Owned(meta, definedUuid));
        owned.clearExpectations(definedUuid);
        if (!lease.valid()) {
            return failed(c, withoutLease());
        }
        if (virt.runsGuests()) {
            try {
                PinnedImages.verifyDisks(confined, images.directory()); // base images: as checked, right before the open
            } catch (IOException e) {
                return failed(c, e.getMessage());
            }
        }
        owned.expect(definedUuid, DomainEventType.STARTED);
        try {
            domain.create();
        } catch (LibvirtException e) {
            owned.unexpect(definedUuid, DomainEventType.STARTED);
            throw e;
        }
        return Done.of(new NodeReport.DomainStarted(c.vm(), node, c.incarnation()));
    }

    private Done stopped(NodeAgentCommand c, long incarnation, String reason) {
        return Done.of(new NodeReport.DomainStopped(c.vm(), node, incarnation, reason));
    }

    private DomainStep.Outcome stop(Hypervisor hv, NodeAgentCommand.StopDomain c) throws LibvirtException {
        Optional<VireoDomain> found = ofIncarnation(hv, c, c.incarnation());
        if (found.isEmpty()) {
            return stopped(c, c.incarnation(), "NotFound");
        }
        VireoDomain d = found.get();
        if (!d.state().active()) {
            undefine(d);
            return stopped(c, c.incarnation(), "Shutdown");
        }
        // A paused guest cannot react to ACPI: waiting the grace period would only delay the destroy.
        if (c.force() || c.gracePeriodSeconds() <= 0 || d.state() == DomainState.Paused) {
            destroyAndUndefine(d);
            return stopped(c, c.incarnation(), "Destroyed");
        }
        owned.expect(d.uuid(), DomainEventType.STOPPED);
        try {
            d.domain().shutdown();
        } catch (LibvirtException e) {
            owned.unexpect(d.uuid(), DomainEventType.STOPPED);
            throw e;
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(c.gracePeriodSeconds()).toNanos();
        return awaitShutoff(hv, c, d, deadline);
    }

    /** Polls until the guest has shut off; at the deadline it is destroyed. */
    private DomainStep.Outcome awaitShutoff(Hypervisor hv, NodeAgentCommand.StopDomain c, VireoDomain d,
                                            long deadline) throws LibvirtException {
        Optional<Domain> current = hv.lookup(d.name());
        if (current.isEmpty() || !current.get().getUUIDString().equals(d.uuid())) {
            owned.remove(d.name());
            return stopped(c, c.incarnation(), "Shutdown");
        }
        if (!hv.state(current.get()).active()) {
            current.get().undefine();
            owned.remove(d.name());
            return stopped(c, c.incarnation(), "Shutdown");
        }
        if (System.nanoTime() - deadline >= 0) {
            try {
                // The STOPPED expectation recorded before shutdown() covers this destroy: one stop, one event.
                // The fresh lookup, not d.domain(): the connection may have been reopened since the shutdown.
                current.get().destroy();
            } catch (LibvirtException e) {
                owned.unexpect(d.uuid(), DomainEventType.STOPPED);
                throw e;
            }
            current.get().undefine();
            owned.remove(d.name());
            return stopped(c, c.incarnation(), "Destroyed");
        }
        return new Again(SHUTDOWN_POLL, again -> awaitShutoff(again, c, d, deadline));
    }

    private Done pause(Hypervisor hv, NodeAgentCommand.PauseDomain c) throws LibvirtException {
        Optional<VireoDomain> found = ofIncarnation(hv, c, c.incarnation());
        if (found.isEmpty()) {
            return failed(c, noSuchIncarnation(c, c.incarnation()));
        }
        VireoDomain d = found.get();
        if (d.state() == DomainState.Running) {
            owned.expect(d.uuid(), DomainEventType.SUSPENDED);
            try {
                d.domain().suspend();
            } catch (LibvirtException e) {
                owned.unexpect(d.uuid(), DomainEventType.SUSPENDED);
                throw e;
            }
        } else if (d.state() == DomainState.Stopped) {
            return failed(c, "domain '" + d.name() + "' is shut off; only a running domain can be paused");
        }
        return Done.of(new NodeReport.DomainPaused(c.vm(), node, c.incarnation()));
    }

    private Done resume(Hypervisor hv, NodeAgentCommand.ResumeDomain c) throws LibvirtException {
        Optional<VireoDomain> found = ofIncarnation(hv, c, c.incarnation());
        if (found.isEmpty()) {
            return failed(c, noSuchIncarnation(c, c.incarnation()));
        }
        VireoDomain d = found.get();
        if (d.state() == DomainState.Paused) {
            if (!lease.valid()) {
                return failed(c, withoutLease());
            }
            owned.expect(d.uuid(), DomainEventType.RESUMED);
            try {
                d.domain().resume();
            } catch (LibvirtException e) {
                owned.unexpect(d.uuid(), DomainEventType.RESUMED);
                throw e;
            }
        } else if (d.state() == DomainState.Stopped) {
            return failed(c, "domain '" + d.name() + "' is shut off; start it instead of resuming it");
        }
        return Done.of(new NodeReport.DomainResumed(c.vm(), node, c.incarnation()));
    }

    private Done ensure(Hypervisor hv, NodeAgentCommand.EnsureDomain c) throws LibvirtException {
        Lookup found = hv.lookupVireo(c.vm().domainName());
        if (found.vireo() == null || !found.vireo().meta().vm().equals(c.vm())) {
            return Done.of(new NodeReport.DomainMissing(c.vm(), node, c.incarnation()));
        }
        VireoDomain d = found.vireo();
        owned.put(c.vm().domainName(), new Owned(d.meta(), d.uuid()));
        return Done.of(new NodeReport.DomainFound(c.vm(), node, d.meta().incarnation(), d.meta().uid(), d.state()));
    }

    private Done remove(Hypervisor hv, NodeAgentCommand.RemoveDomain c) throws LibvirtException {
        Lookup found = hv.lookupVireo(c.vm().domainName());
        VireoDomain d = found.vireo();
        boolean matches = d != null && d.meta().vm().equals(c.vm())
                && (c.incarnation() < 0 || d.meta().incarnation() == c.incarnation());
        if (!matches) {
            // Another incarnation (or a foreign domain) under this name is not what was asked to be removed.
            return stopped(c, c.incarnation(), "NotFound");
        }
        destroyAndUndefine(d);
        return stopped(c, d.meta().incarnation(), "Removed");
    }

    /**
     * Removes the files (overlays, console log) of the deleted VM {@code c.uid()}. The files of a VM created
     * again under the same name are its own and stay; so does its domain, which is none of this command's
     * business. A domain of the deleted VM that still runs keeps the files: its QEMU has them open.
     */
    private Done deleteFiles(Hypervisor hv, NodeAgentCommand.DeleteVmFiles c) throws LibvirtException, IOException {
        VireoDomain d = hv.lookupVireo(c.vm().domainName()).vireo();
        if (d != null && d.meta().vm().equals(c.vm()) && d.state().active() && !otherVm(d.meta().uid(), c.uid())) {
            return failed(c, "domain '" + d.name() + "' of incarnation " + d.meta().incarnation() + " still runs on node "
                    + node + "; its files stay until it is removed (RemoveDomain), then send DeleteVmFiles again");
        }
        VmFiles files = VmFiles.of(dataDirectory, c.vm());
        if (!files.deleteIfOwnedBy(c.uid())) {
            log.info("{} of VM {} uid {} (request {}): {} belongs to a VM created again under that name; kept",
                    c.action(), c.vm(), c.uid(), c.requestId(), files);
        }
        return new Done(List.of());
    }

    /** Both uids are known and differ: a VM deleted and created again under its name is another VM. */
    private static boolean otherVm(String uid, String otherUid) {
        return uid != null && otherUid != null && !uid.equals(otherUid);
    }

    /** After a guest shut itself down: undefine it, unless it has been started again meanwhile. */
    DomainStep undefineIfStillOff(String domainName, String uuid) {
        return hv -> {
            Optional<Domain> current = hv.lookup(domainName);
            if (current.isPresent() && current.get().getUUIDString().equals(uuid)
                    && !hv.state(current.get()).active()) {
                current.get().undefine();
                owned.remove(domainName);
            }
            return new Done(List.of());
        };
    }

    private Optional<VireoDomain> ofIncarnation(Hypervisor hv, NodeAgentCommand c, long incarnation)
            throws LibvirtException {
        VireoDomain d = hv.lookupVireo(c.vm().domainName()).vireo();
        if (d == null || !d.meta().vm().equals(c.vm()) || d.meta().incarnation() != incarnation) {
            return Optional.empty();
        }
        return Optional.of(d);
    }

    private void destroyAndUndefine(VireoDomain d) throws LibvirtException {
        if (d.state().active()) {
            owned.expect(d.uuid(), DomainEventType.STOPPED);
            try {
                d.domain().destroy();
            } catch (LibvirtException e) {
                owned.unexpect(d.uuid(), DomainEventType.STOPPED);
                throw e;
            }
        }
        undefine(d);
    }

    private void undefine(VireoDomain d) throws LibvirtException {
        String name = d.name();
        d.domain().undefine();
        owned.remove(name);
    }

    private String noSuchIncarnation(NodeAgentCommand c, long incarnation) {
        return "node " + node + " has no domain '" + c.vm().domainName() + "' of incarnation " + incarnation
                + "; send EnsureDomain to learn what the node has";
    }

    private Done failed(NodeAgentCommand c, String message) {
        return Done.of(new NodeReport.ActionFailed(c.vm(), node, incarnationOf(c), c.action(), message));
    }

    /** Every command carries an incarnation, but the protocol's interface does not declare it. */
    static long incarnationOf(NodeAgentCommand c) {
        if (c instanceof NodeAgentCommand.StartDomain start) {
            return start.incarnation();
        } else if (c instanceof NodeAgentCommand.StopDomain stop) {
            return stop.incarnation();
        } else if (c instanceof NodeAgentCommand.PauseDomain pause) {
            return pause.incarnation();
        } else if (c instanceof NodeAgentCommand.ResumeDomain resume) {
            return resume.incarnation();
        } else if (c instanceof NodeAgentCommand.EnsureDomain ensure) {
            return ensure.incarnation();
        } else if (c instanceof NodeAgentCommand.RemoveDomain remove) {
            return remove.incarnation();
        } else if (c instanceof NodeAgentCommand.DeleteVmFiles) {
            return 0; // the VM is deleted: no incarnation of it is current any more
        } else if (c instanceof NodeAgentCommand.PrepareMigration prepare) {
            return prepare.incarnation();
        } else if (c instanceof NodeAgentCommand.MigrateDomain migrate) {
            return migrate.incarnation();
        } else if (c instanceof NodeAgentCommand.CancelMigration cancel) {
            return cancel.incarnation();
        } else if (c instanceof NodeAgentCommand.TakeSnapshot take) {
            return take.incarnation();
        } else if (c instanceof NodeAgentCommand.RestoreSnapshot restore) {
            return restore.incarnation();
        } else if (c instanceof NodeAgentCommand.DeleteSnapshot delete) {
            return delete.incarnation();
        }
        throw new IllegalArgumentException("unknown node agent command " + c);
    }
}
