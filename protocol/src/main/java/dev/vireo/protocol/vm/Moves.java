package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.Stage.Placed;
import dev.vireo.protocol.vm.Stage.WaitingForPlacement;
import dev.vireo.protocol.vm.VmCommand.Create;
import dev.vireo.protocol.vm.VmCommand.PlacementSucceeded;
import dev.vireo.protocol.vm.VmCommand.UpdateSpec;
import dev.vireo.protocol.vm.VmEffect.DeleteFilesOnNodes;
import dev.vireo.protocol.vm.VmEffect.ReleasePlacement;
import dev.vireo.protocol.vm.VmEffect.RequestPlacement;
import dev.vireo.protocol.vm.VmEffect.ToNode;
import dev.vireo.protocol.vm.VmEffect.WakeAt;
import dev.vireo.protocol.vm.VmEvent.StartReason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * The moves {@link VmLifecycle} makes: each records its events (applied one by one, so that the next step
 * sees the VM as it is by then) together with the effects that follow them once they are persisted. A
 * move that needs to know where the VM is asks the VM, never a string.
 */
final class Moves {

    /** How a domain ended, for the runStrategy's verdict. */
    enum Ending {
        /** Stopped as asked. */
        Requested,
        /** The guest shut itself down. */
        Success,
        /** Its node was lost. */
        Failure
    }

    private final EventMeta meta;
    private final VmPolicy policy;
    private final List<VmEvent> events = new ArrayList<>();
    private final List<VmEffect> effects = new ArrayList<>();
    private VmState vm;
    private Rejection refused;

    Moves(VmState vm, EventMeta meta, VmPolicy policy) {
        this.vm = vm;
        this.meta = meta;
        this.policy = policy;
    }

    Decision decision() {
        return refused != null ? Decision.reject(refused) : new Decision.Accepted(events, effects);
    }

    List<VmEffect> effects() {
        return List.copyOf(effects);
    }

    /** Records {@code event}, to be followed by {@code follow} once persisted (null: no effect). */
    private Moves record(VmEvent event, VmEffect... follow) {
        events.add(event);
        vm = vm.apply(event);
        for (VmEffect effect : follow) {
            if (effect != null) {
                effects.add(effect);
            }
        }
        return this;
    }

    private Moves then(VmEffect effect) {
        effects.add(effect);
        return this;
    }

    // ---- no change, and refusals ----

    Moves unchanged() {
        return this;
    }

    Moves refuse(Rejection rejection) {
        refused = rejection;
        return this;
    }

    /** Refuses {@code action} in the VM's phase, saying what to do instead. */
    Moves cannot(String action, String instead) {
        return refuse(Rejection.illegal("cannot " + action + " virtualmachine " + vm.id() + ": it is " + vm.phase()
                + "; " + instead));
    }

    Moves refuseWhileDeleting() {
        return refuse(Rejection.illegal("virtualmachine " + vm.id() + " is being deleted;"
                + " only a forced stop (stop?force=true) is still possible"));
    }

    // ---- what users ask ----

    Moves create(Create c) {
        record(new VmEvent.VmCreated(meta, c.uid(), c.labels(), c.spec()));
        RunStrategy strategy = c.spec().runStrategy();
        boolean runs = strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure
                || strategy == RunStrategy.Once;
        return runs ? requestStart(StartReason.Requested) : this;
    }

    /**
     * Replaces labels and spec (if {@code c} expects the current resourceVersion); a new runStrategy is then
     * followed as {@code followUp} says for the VM's stage.
     */
    Moves update(UpdateSpec c, BiFunction<Moves, RunStrategy, Moves> followUp) {
        if (c.expectedResourceVersion() != null && !c.expectedResourceVersion().equals(vm.resourceVersion())) {
            return refuse(new Rejection(Rejection.Code.StaleResourceVersion,
                    "resourceVersion " + c.expectedResourceVersion() + " is stale: virtualmachine " + vm.id()
                            + " is at " + vm.resourceVersion() + "; read it again and retry",
                    "metadata.resourceVersion"));
        }
        RunStrategy from = vm.runStrategy();
        RunStrategy to = c.spec().runStrategy();
        if (!Objects.equals(vm.spec().withRunStrategy(to), c.spec()) || !Objects.equals(vm.labels(), c.labels())) {
            record(new VmEvent.SpecUpdated(meta, c.labels(), c.spec()));
        }
        if (from == to) {
            return this;
        }
        record(new VmEvent.RunStrategyChanged(meta, from, to));
        return followUp.apply(this, to);
    }

    /** After a runStrategy change: a VM that is not down (or stopping for good) stops under Halted. */
    Moves stopIfHalted(RunStrategy to) {
        return to == RunStrategy.Halted ? requestStop(false) : this;
    }

    /** After a runStrategy change: a VM that is down starts under Always and RerunOnFailure. */
    Moves startIfItRuns(RunStrategy to) {
        return to == RunStrategy.Always || to == RunStrategy.RerunOnFailure ? requestStart(StartReason.Requested) : this;
    }

    /** After a runStrategy change: nothing to do now (the stop under way decides when it ends). */
    Moves nothingMore(RunStrategy to) {
        return this;
    }

    /** Start on Halted switches the runStrategy to Always. */
    Moves start() {
        if (vm.runStrategy() == RunStrategy.Halted) {
            record(new VmEvent.RunStrategyChanged(meta, RunStrategy.Halted, RunStrategy.Always));
        }
        return requestStart(StartReason.Requested);
    }

    /** Stop on Always (or RerunOnFailure) switches the runStrategy to Halted; the VM is already down. */
    Moves keepStopped() {
        RunStrategy strategy = vm.runStrategy();
        if (strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure) {
            record(new VmEvent.RunStrategyChanged(meta, strategy, RunStrategy.Halted));
        }
        return this;
    }

    /** As {@link #keepStopped}, and the VM stops: its domain, or its request for a placement. */
    Moves stop(boolean force) {
        return keepStopped().requestStop(force);
    }

    Moves restart() {
        return record(new VmEvent.RestartRequested(meta), stopDomain(false));
    }

    Moves pause() {
        return record(new VmEvent.Paused(meta, false), new ToNode(new NodeAgentCommand.PauseDomain(vm.node(),
                vm.id(), vm.incarnation(), meta.requestId())));
    }

    Moves unpause() {
        return record(new VmEvent.Unpaused(meta, false), new ToNode(new NodeAgentCommand.ResumeDomain(vm.node(),
                vm.id(), vm.incarnation(), meta.requestId())));
    }

    /** Delete of a VM whose domain runs: stop it first; {@link #thenDelete} once it is gone. */
    Moves terminate() {
        return record(new VmEvent.DeleteRequested(meta), stopDomain(false));
    }

    /** Delete of a VM whose domain is being stopped already. */
    Moves terminateWhileStopping() {
        return record(new VmEvent.DeleteRequested(meta));
    }

    /** Delete of a VM without a domain: gone at once, with a request for a placement it had and its files. */
    Moves deleteNow() {
        String uid = vm.uid();
        return record(new VmEvent.VmDeleted(meta, uid), withdrawal(), new DeleteFilesOnNodes(vm.id(), uid,
                meta.requestId()));
    }

    // ---- what the scheduler and timers say ----

    Moves scheduled(PlacementSucceeded c) {
        return record(new VmEvent.Scheduled(meta, c.node(), c.incarnation()), new ToNode(new NodeAgentCommand.StartDomain(
                c.node(), vm.id(), vm.uid(), c.incarnation(), vm.spec(), meta.requestId())));
    }

    Moves unschedulable(String reason) {
        return record(new VmEvent.Unschedulable(meta, reason));
    }

    Moves restartAfterBackOff() {
        return requestStart(StartReason.CrashLoopBackOff);
    }

    // ---- what the VM's node says ----

    Moves started() {
        return record(new VmEvent.DomainStarted(meta, vm.node(), vm.incarnation()));
    }

    /** The node reaches its hypervisor again and its domain is still there. */
    Moves reachable(DomainState domain) {
        return record(new VmEvent.NodeReachable(meta, vm.node(), vm.incarnation(), domain));
    }

    Moves unreachable() {
        return record(new VmEvent.NodeUnreachable(meta, vm.node(), vm.incarnation()),
                // answered once the node reaches its hypervisor again: the VM learns what survived
                new ToNode(new NodeAgentCommand.EnsureDomain(vm.node(), vm.id(), vm.incarnation(), meta.requestId())));
    }

    Moves pausedByNode() {
        return record(new VmEvent.Paused(meta, true));
    }

    Moves resumedByNode() {
        return record(new VmEvent.Unpaused(meta, true));
    }

    Moves actionFailed(NodeReport.ActionFailed r) {
        return record(new VmEvent.NodeActionFailed(meta, vm.node(), vm.incarnation(), r.action().name(), r.message()));
    }

    /** The domain is gone; its placement is given back. Follow with what comes after it. */
    Moves domainStopped(String reason) {
        return record(new VmEvent.DomainStopped(meta, vm.node(), vm.incarnation(), reason), releasePlacement());
    }

    /**
     * The domain ended unasked. A crash soon after the last start counts towards the CrashLoopBackOff, one after
     * a stable run starts the count again; Always and RerunOnFailure bring the VM back after the back-off.
     */
    Moves crashed(String reason) {
        boolean stable = vm.runningSince() != null
                && Duration.between(vm.runningSince(), meta.timestamp()).compareTo(policy.stableRun()) >= 0;
        int crashes = stable ? 1 : vm.crashCount() + 1;
        RunStrategy strategy = vm.runStrategy();
        boolean restart = strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure;
        long backoff = restart ? policy.backoffSeconds(crashes) : 0;
        record(new VmEvent.DomainCrashed(meta, vm.node(), vm.incarnation(), reason, crashes, restart, backoff),
                releasePlacement());
        return restart ? then(new WakeAt(meta.timestamp().plusSeconds(backoff))) : this;
    }

    /**
     * The node could not start the domain: a crash of this start. An ActionFailed does not prove that no domain
     * of this placement will run: a start sent again on recovery may still reach the node and succeed. So the
     * placement is fenced at once: the node removes whatever domain of it it has or gets, in the order it
     * received the starts, before the VM may be placed anew.
     */
    Moves startFailed(String message) {
        String node = vm.node();
        long incarnation = vm.incarnation();
        crashed("start failed: " + message);
        return then(new ToNode(new NodeAgentCommand.RemoveDomain(node, vm.id(), incarnation, meta.requestId())));
    }

    /** The domain crashed while it was being stopped anyway: recorded, and the stop is done. */
    Moves crashedWhileStopping(String reason) {
        return record(new VmEvent.DomainCrashed(meta, vm.node(), vm.incarnation(), reason, vm.crashCount(), false, 0),
                releasePlacement());
    }

    /** The VM's node left the cluster: its placement is gone, and should the node come back, its domain too. */
    Moves nodeLost() {
        String node = vm.node();
        long incarnation = vm.incarnation();
        return record(new VmEvent.NodeLost(meta, node, incarnation), releasePlacement(),
                new ToNode(new NodeAgentCommand.RemoveDomain(node, vm.id(), incarnation, meta.requestId())));
    }

    // ---- what follows once a domain is gone ----

    Moves thenDelete() {
        return deleteNow();
    }

    Moves thenStartAgain() {
        return requestStart(StartReason.Restart);
    }

    /**
     * Always restarts a VM after any ending, RerunOnFailure after a failure; after a requested stop either one
     * means the runStrategy changed while the VM was stopping (a stop under Always switches it to Halted).
     */
    Moves thenFollowRunStrategy(Ending ending) {
        RunStrategy strategy = vm.runStrategy();
        boolean again = switch (ending) {
            case Requested, Failure -> strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure;
            case Success -> strategy == RunStrategy.Always;
        };
        if (!again) {
            return this;
        }
        return requestStart(ending == Ending.Failure ? StartReason.NodeLost : StartReason.RunStrategy);
    }

    // ---- live migration ----

    /** Starts a live migration of the running VM: the scheduler is asked for a target first. */
    Moves migrate(VmCommand.Migrate c) {
        if (busyWithSnapshots("migrate")) {
            return this;
        }
        String source = vm.node();
        if (source.equals(c.targetNode())) {
            return refuse(Rejection.illegal("cannot migrate virtualmachine " + vm.id() + " to node " + source
                    + ": it already runs there; name another node, or leave targetNode out to let the scheduler choose"));
        }
        VirtualMachineSpec spec = vm.spec();
        long targetIncarnation = vm.incarnation() + 1;
        return record(new VmEvent.MigrationRequested(meta, c.migrationId(), source, c.targetNode(), c.policy()),
                new VmEffect.ReserveMigrationTarget(vm.id(), c.migrationId(), source, c.targetNode(), targetIncarnation,
                        spec.cores(), spec.memoryBytes(), spec.nodeSelector(), spec.imageFiles(), meta.requestId()));
    }

    /** A second request while one is in flight: the same one is no news, another is refused. */
    Moves migrateAgain(VmCommand.Migrate c) {
        Migration m = vm.migration();
        return m.id().equals(c.migrationId()) ? this : refuse(Rejection.illegal("cannot migrate virtualmachine "
                + vm.id() + ": it is already migrating (migration " + m.id() + " from node " + m.source()
                + "); wait for it to end, or cancel it with DELETE …/migrations/" + m.id()));
    }

    Moves migrationTargetReserved(VmCommand.MigrationTargetReserved c) {
        Migration m = vm.migration();
        if (!m.id().equals(c.migrationId()) || m.step() != Migration.Step.Requested) {
            return m.id().equals(c.migrationId()) ? this : then(new VmEffect.ReleaseMigrationTarget(vm.id(), c.migrationId()));
        }
        record(new VmEvent.MigrationTargetChosen(meta, m.id(), c.node(), c.incarnation()));
        return then(prepareMigration());
    }

    Moves migrationTargetRefused(VmCommand.MigrationTargetRefused c) {
        Migration m = vm.migration();
        if (!m.id().equals(c.migrationId()) || m.step() != Migration.Step.Requested) {
            return this;
        }
        // an earlier ask for this migration (sent again on recovery) may have got a target: it goes too
        return record(new VmEvent.MigrationFailed(meta, m.id(), c.reason()),
                new VmEffect.ReleaseMigrationTarget(vm.id(), m.id()));
    }

    /** The target holds the files: the source's libvirt moves the domain (unless a cancel came first). */
    Moves migrationPrepared(NodeReport.MigrationPrepared r) {
        Migration m = vm.migration();
        if (!m.id().equals(r.migrationId()) || m.step() != Migration.Step.TargetChosen) {
            return this;
        }
        record(new VmEvent.MigrationStarted(meta, m.id(), m.source(), m.target(), m.targetIncarnation()));
        return then(new ToNode(new NodeAgentCommand.MigrateDomain(m.source(), vm.id(), vm.incarnation(), m.id(),
                m.target(), m.targetIncarnation(), r, m.policy(), vm.spec(), meta.requestId())));
    }

    Moves migrationProgressed(NodeReport.MigrationProgressed r) {
        Migration m = vm.migration();
        return m.id().equals(r.migrationId()) ? record(new VmEvent.MigrationProgressed(meta, m.id(), r.progress()))
                : this;
    }

    /** The domain runs on the target: the VM is placed there under the target's incarnation. */
    Moves migrationSucceeded(long downtimeMs, long durationMs, long dataProcessed) {
        Migration m = vm.migration();
        long source = vm.incarnation();
        record(new VmEvent.MigrationCompleted(meta, m.id(), m.source(), m.target(), m.targetIncarnation(), downtimeMs,
                durationMs, dataProcessed));
        // the target's reservation becomes the VM's placement and the source's is given back (said, not left to the
        // promotion: a target lost meanwhile is promoted to nothing, and the source's placement would stay held);
        // the target agent adopts the domain; and should the source still have its copy (its report was lost), it goes
        VirtualMachineSpec spec = vm.spec();
        return then(new VmEffect.PromoteMigrationTarget(vm.id(), m.id(), m.target(), m.targetIncarnation(), spec.cores(),
                spec.memoryBytes())).then(new ReleasePlacement(vm.id(), source)).ensureDomain()
                .then(new ToNode(new NodeAgentCommand.RemoveDomain(m.source(), vm.id(), source, meta.requestId())));
    }

    /** It ended without moving the domain: the VM runs on the source; the target's reservation and leftovers go. */
    Moves migrationAborted(boolean cancelled, String reason) {
        Migration m = vm.migration();
        record(cancelled ? new VmEvent.MigrationCancelled(meta, m.id()) : new VmEvent.MigrationFailed(meta, m.id(),
                reason), new VmEffect.ReleaseMigrationTarget(vm.id(), m.id()));
        return m.target() == null ? this : then(new ToNode(new NodeAgentCommand.RemoveDomain(m.target(), vm.id(),
                m.targetIncarnation(), meta.requestId())));
    }

    /**
     * Cancel: before the source's libvirt started it, the migration just ends; once started, the source aborts its
     * job and its report says how the migration ended (it may have completed first).
     */
    Moves cancelMigration(VmCommand.CancelMigration c) {
        Migration m = vm.migration();
        if (!m.id().equals(c.migrationId())) {
            return refuse(new Rejection(Rejection.Code.NotFound, "migration " + c.migrationId() + " of virtualmachine "
                    + vm.id() + " is not in flight (migration " + m.id() + " is)", null));
        }
        if (m.step() != Migration.Step.Started) {
            return migrationAborted(true, null);
        }
        if (m.cancelRequested()) {
            return this;
        }
        return record(new VmEvent.MigrationCancelRequested(meta, m.id()), new ToNode(new NodeAgentCommand.CancelMigration(
                m.source(), vm.id(), vm.incarnation(), m.id(), meta.requestId())));
    }

    /**
     * A report about the VM's domain while it migrates, from the source (the VM's incarnation) or from the target
     * (the migration's incarnation): the migration's own reports, or what a node found.
     */
    Moves migrationReport(NodeReport r) {
        Migration m = vm.migration();
        boolean fromTarget = r.incarnation() != vm.incarnation();
        if (r instanceof NodeReport.MigrationPrepared p) {
            return fromTarget ? migrationPrepared(p) : this;
        } else if (r instanceof NodeReport.MigrationProgressed p) {
            return fromTarget ? this : migrationProgressed(p);
        } else if (r instanceof NodeReport.MigrationSucceeded s) {
            return fromTarget || !m.id().equals(s.migrationId()) ? this
                    : migrationSucceeded(s.downtimeMs(), s.durationMs(), s.dataProcessed());
        } else if (r instanceof NodeReport.MigrationAborted a) {
            // the VM goes on on the source, but its domain may have died there meanwhile (a report the migration
            // passed over, or the reason the job aborted): the source says what it has
            return fromTarget || !m.id().equals(a.migrationId()) ? this
                    : migrationAborted(a.cancelled(), a.reason()).ensureDomain();
        } else if (r instanceof NodeReport.ActionFailed f) {
            if (f.action() == NodeAction.PrepareMigration && m.step() == Migration.Step.Started) {
                return this; // the target prepared (the source is moving the domain): a failure of it is stale
            }
            if (f.action() == NodeAction.PrepareMigration || f.action() == NodeAction.MigrateDomain) {
                return migrationAborted(false, f.action() + " failed on node " + f.node() + ": " + f.message());
            }
            return fromTarget ? this : actionFailed(f);
        } else if (r instanceof NodeReport.DomainPaused || r instanceof NodeReport.DomainResumed) {
            return this; // the source pauses at switchover; the migration's own report says how it ended
        }
        return fromTarget ? targetReported(r) : sourceReported(r);
    }

    /** A report from the source about its domain while the migration runs (not its migration's own report). */
    Moves sourceReported(NodeReport r) {
        Migration m = vm.migration();
        boolean runs = r instanceof NodeReport.DomainStarted
                || r instanceof NodeReport.DomainFound f && f.state().active();
        if (m.step() != Migration.Step.Started) {
            return runs ? this : migrationAborted(false, "the domain left node " + m.source() + " before the migration"
                    + " started: " + r.describe()).crashed("domain " + r.describe() + " on node " + r.node());
        }
        if (runs && r instanceof NodeReport.DomainStarted) {
            return this; // the late answer to a start sent before the VM ran: nothing starts its domain while it migrates
        }
        if (runs && !m.cancelRequested()) {
            // the source may have said so before its libvirt took the migration up (reports of one node arrive in
            // order, but not in order with the target's MigrationPrepared): concluding now would leave the domain to
            // move to a target already given back. The job is cancelled, and the source, asked behind it in the
            // domain's lane, answers once the migration's own report has said how it ended
            record(new VmEvent.MigrationCancelRequested(meta, m.id()), new ToNode(new NodeAgentCommand.CancelMigration(
                    m.source(), vm.id(), vm.incarnation(), m.id(), meta.requestId())));
            return ensureDomain();
        }
        if (runs) {
            // the source's node runtime restarted (its migration died with it) and found the guest still there;
            // libvirt leaves it paused when the switchover was under way: it goes on here
            boolean paused = r instanceof NodeReport.DomainFound f && f.state() == DomainState.Paused;
            migrationAborted(false, "node " + m.source() + " found the guest still " + (paused ? "there, paused,"
                    : "running there") + " without the migration (its node runtime restarted)");
            return paused ? then(new ToNode(new NodeAgentCommand.ResumeDomain(vm.node(), vm.id(), vm.incarnation(),
                    meta.requestId()))) : this;
        }
        // the domain left the source: moved, or died; the target says which
        return then(new ToNode(new NodeAgentCommand.EnsureDomain(m.target(), vm.id(), m.targetIncarnation(),
                meta.requestId())));
    }

    /** A report from the target's placement: the domain runs there (switchover done, its report lost), or not. */
    Moves targetReported(NodeReport r) {
        Migration m = vm.migration();
        boolean runs = r instanceof NodeReport.DomainStarted
                || r instanceof NodeReport.DomainFound f && f.state() == DomainState.Running;
        if (runs && m.step() == Migration.Step.Started) {
            return migrationSucceeded(-1, -1, -1);
        }
        if (r instanceof NodeReport.DomainMissing && m.step() == Migration.Step.Started) {
            return migrationAborted(false, "the domain is on neither node " + m.source() + " nor " + m.target())
                    .crashed("domain lost during migration to node " + m.target());
        }
        return this;
    }

    /** A node of the migration left the cluster. */
    Moves migrationNodeLost(String node) {
        Migration m = vm.migration();
        if (node.equals(m.source())) {
            return migrationAborted(false, "node " + node + " (the source) was lost").nodeLost()
                    .thenFollowRunStrategy(Ending.Failure);
        }
        if (m.step() != Migration.Step.Started) {
            return migrationAborted(false, "node " + node + " (the target) was lost");
        }
        // the source's job is aborted; its report says where the domain is
        return m.cancelRequested() ? this : record(new VmEvent.MigrationCancelRequested(meta, m.id()),
                new ToNode(new NodeAgentCommand.CancelMigration(m.source(), vm.id(), vm.incarnation(), m.id(),
                        meta.requestId())));
    }

    /** What a VM recovered mid-migration resumes: the request, the preparation, or a look at the source. */
    Moves resumeMigration() {
        Migration m = vm.migration();
        claimPlacement();
        return switch (m.step()) {
            case Requested -> {
                VirtualMachineSpec spec = vm.spec();
                yield then(new VmEffect.ReserveMigrationTarget(vm.id(), m.id(), m.source(), m.requestedTarget(),
                        vm.incarnation() + 1, spec.cores(), spec.memoryBytes(), spec.nodeSelector(), spec.imageFiles(),
                        meta.requestId()));
            }
            case TargetChosen -> claimMigrationTarget().then(prepareMigration());
            // answered once the source's migration (if it still runs) is over
            case Started -> claimMigrationTarget().ensureDomain();
        };
    }

    /** The target chosen before the recovery stays reserved: the scheduler that restarted with it may not know it. */
    private Moves claimMigrationTarget() {
        Migration m = vm.migration();
        VirtualMachineSpec spec = vm.spec();
        return then(new VmEffect.ClaimMigrationTarget(vm.id(), m.id(), m.source(), m.target(), m.targetIncarnation(),
                spec.cores(), spec.memoryBytes()));
    }

    private ToNode prepareMigration() {
        Migration m = vm.migration();
        return new ToNode(new NodeAgentCommand.PrepareMigration(m.target(), vm.id(), vm.uid(), m.targetIncarnation(),
                vm.spec(), m.id(), meta.requestId()));
    }

    // ---- snapshots and restores: files of the VM's own on the node that holds its disks ----

    /** A snapshot of the VM as it is: online (memory too, if asked) while it runs or is paused, disks only when stopped. */
    Moves snapshot(VmCommand.TakeSnapshot c) {
        Snapshots snapshots = vm.snapshots();
        if (busyWithSnapshots("snapshot")) {
            return this;
        }
        if (snapshots.find(c.snapshot()).isPresent()) {
            return refuse(new Rejection(Rejection.Code.AlreadyExists, "snapshot " + c.snapshot() + " of virtualmachine "
                    + vm.id() + " already exists; choose another name, or delete it first", "name"));
        }
        boolean online = vm.stage() instanceof Stage.Active;
        String node = online ? vm.node() : snapshots.home();
        if (node == null) {
            return cannot("snapshot", "it has never run, so it has no disks of its own yet; start it once");
        }
        if (!online && vm.spec().withDefaults().disks().isEmpty()) {
            return cannot("snapshot", "it has no disks, and a stopped VM has no memory to keep");
        }
        boolean memory = c.memory() && online;
        return record(new VmEvent.SnapshotRequested(meta, c.snapshot(), memory, online, node),
                new ToNode(new NodeAgentCommand.TakeSnapshot(node, vm.id(), vm.incarnation(), c.snapshot(), memory,
                        online, meta.requestId())));
    }

    /** Back to a snapshot, on the node that holds it: see {@link RestorePolicy} for what becomes of the guest. */
    Moves restore(VmCommand.RestoreSnapshot c) {
        if (busyWithSnapshots("restore")) {
            return this;
        }
        Snapshot snap = vm.snapshots().find(c.snapshot()).orElse(null);
        if (snap == null) {
            return refuse(new Rejection(Rejection.Code.NotFound, "snapshot " + c.snapshot() + " of virtualmachine "
                    + vm.id() + " not found; GET …/snapshots lists them", "snapshot"));
        }
        if (snap.phase() != Snapshot.Phase.Succeeded) {
            return refuse(Rejection.illegal("cannot restore virtualmachine " + vm.id() + " to snapshot " + snap.name()
                    + ": it is " + snap.phase() + (snap.reason() == null ? "" : " (" + snap.reason() + ")")
                    + "; only a snapshot that succeeded can be restored"));
        }
        boolean online = vm.stage() instanceof Stage.Active;
        // where the VM's disks are now: a snapshot taken before a migration is fetched from its node first
        String node = online ? vm.node() : vm.snapshots().home();
        if (node == null) {
            node = snap.node();
        }
        String from = node.equals(snap.node()) ? null : snap.node();
        RestorePolicy policy = !online ? RestorePolicy.DisksOnly
                : snap.memory() ? RestorePolicy.ResumeFromMemory : RestorePolicy.StopRestoreStart;
        return record(new VmEvent.RestoreRequested(meta, snap.name(), node, policy, from),
                new ToNode(new NodeAgentCommand.RestoreSnapshot(node, vm.id(), vm.uid(), vm.incarnation(),
                        snap.name(), policy, vm.spec(), meta.requestId(), from)));
    }

    /** The record goes at once; its files go from the node that holds them. */
    Moves deleteSnapshot(VmCommand.DeleteSnapshot c) {
        Snapshots snapshots = vm.snapshots();
        Snapshot snap = snapshots.find(c.snapshot()).orElse(null);
        if (snap == null) {
            return refuse(new Rejection(Rejection.Code.NotFound, "snapshot " + c.snapshot() + " of virtualmachine "
                    + vm.id() + " not found; GET …/snapshots lists them", null));
        }
        if (snapshots.pending() != null && snapshots.pending().snapshot().equals(snap.name())) {
            return refuse(Rejection.illegal("cannot delete snapshot " + snap.name() + " of virtualmachine " + vm.id()
                    + ": it is being " + (snapshots.pending().kind() == Snapshots.Pending.Kind.Snapshot ? "taken"
                    : "restored") + "; wait for that to end"));
        }
        return dropSnapshot(snap, "deleted as asked");
    }

    /**
     * A report on the snapshot or restore under way (the decider checked there is one, on the report's node):
     * recorded under the request that asked for it, by the node that did it.
     */
    Moves snapshotReport(NodeReport r) {
        Snapshots.Pending pending = vm.snapshots().pending();
        EventMeta by = new EventMeta(meta.timestamp(), pending.requestId(), meta.principal());
        boolean snapshot = pending.kind() == Snapshots.Pending.Kind.Snapshot;
        if (r instanceof NodeReport.SnapshotTaken t) {
            return !snapshot ? this : record(new VmEvent.SnapshotCompleted(by, pending.snapshot(), t.sizeBytes(),
                    t.pauseMs(), t.durationMs())).retain();
        } else if (r instanceof NodeReport.SnapshotRestored s) {
            return snapshot ? this : record(new VmEvent.RestoreCompleted(by, pending.snapshot(), pending.policy(),
                    s.pauseMs(), s.durationMs()));
        }
        NodeReport.ActionFailed f = (NodeReport.ActionFailed) r;
        if ((f.action() == NodeAction.TakeSnapshot) != snapshot) {
            return staleReport(r); // e.g. a snapshot's failure settled late, while a restore is under way
        }
        String why = f.action() + " failed on node " + f.node() + ": " + f.message();
        return record(snapshot ? new VmEvent.SnapshotFailed(by, pending.snapshot(), why)
                : new VmEvent.RestoreFailed(by, pending.snapshot(), why));
    }

    /** What a VM recovered with a snapshot or restore under way asks its node again (the node answers once). */
    Moves resumeSnapshotWork() {
        Snapshots.Pending p = vm.snapshots().pending();
        if (p == null) {
            return this;
        }
        if (p.kind() == Snapshots.Pending.Kind.Restore) {
            String held = vm.snapshots().find(p.snapshot()).map(Snapshot::node).orElse(p.node());
            return then(new ToNode(new NodeAgentCommand.RestoreSnapshot(p.node(), vm.id(), vm.uid(), vm.incarnation(),
                    p.snapshot(), p.policy(), vm.spec(), meta.requestId(), held.equals(p.node()) ? null : held)));
        }
        Snapshot snap = vm.snapshots().find(p.snapshot()).orElseThrow();
        return then(new ToNode(new NodeAgentCommand.TakeSnapshot(p.node(), vm.id(), vm.incarnation(), snap.name(),
                snap.memory(), vm.stage() instanceof Stage.Active, meta.requestId())));
    }

    /** One snapshot or restore at a time: refuses when one is under way. */
    private boolean busyWithSnapshots(String action) {
        Snapshots.Pending p = vm.snapshots().pending();
        if (p == null) {
            return false;
        }
        refuse(Rejection.illegal("cannot " + action + " virtualmachine " + vm.id() + ": "
                + (p.kind() == Snapshots.Pending.Kind.Snapshot ? "snapshot " + p.snapshot() + " is being taken"
                : "it is being restored to snapshot " + p.snapshot()) + "; wait for that to end (GET …/snapshots/"
                + p.snapshot() + ")"));
        return true;
    }

    /** The retention limit: the oldest snapshots beyond it are deleted, each recorded. */
    private Moves retain() {
        List<Snapshot> items = vm.snapshots().items();
        int excess = items.size() - policy.retainedSnapshots();
        for (Snapshot old : items.subList(0, Math.max(0, excess))) {
            dropSnapshot(old, "retention: a VM keeps at most " + policy.retainedSnapshots()
                    + " snapshots, the oldest is deleted first");
        }
        return this;
    }

    /** The record goes; so do its files, and the copy a restore after a migration fetched to the VM's node. */
    private Moves dropSnapshot(Snapshot snap, String reason) {
        String home = vm.snapshots().home();
        ToNode taken = new ToNode(new NodeAgentCommand.DeleteSnapshot(snap.node(), vm.id(), vm.incarnation(),
                snap.name(), meta.requestId()));
        if (home == null || home.equals(snap.node())) {
            return record(new VmEvent.SnapshotDeleted(meta, snap.name(), snap.node(), reason), taken);
        }
        return record(new VmEvent.SnapshotDeleted(meta, snap.name(), snap.node(), reason), taken,
                new ToNode(new NodeAgentCommand.DeleteSnapshot(home, vm.id(), vm.incarnation(), snap.name(),
                        meta.requestId())));
    }

    // ---- what does not concern the VM as it is now ----

    /** A report of another placement (or for a VM that is gone): recorded, and otherwise ignored. */
    Moves staleReport(NodeReport report) {
        String where = vm.exists()
                ? "the VM's current placement is incarnation " + vm.incarnation() + " on "
                        + (vm.node() == null ? "no node" : "node " + vm.node())
                : "the VM does not exist";
        record(new VmEvent.StaleReportIgnored(meta, report.node(), report.incarnation(), vm.incarnation(),
                report.describe(), where));
        boolean domainRuns = report instanceof NodeReport.DomainStarted || report instanceof NodeReport.DomainFound;
        // fencing: a domain of a placement that is not the current one must not run
        return domainRuns ? then(new ToNode(new NodeAgentCommand.RemoveDomain(report.node(), vm.id(),
                report.incarnation(), meta.requestId()))) : this;
    }

    /** A migration target the VM no longer waits for (the migration ended): given back. */
    Moves targetNotWanted(VmCommand.MigrationTargetReserved c) {
        return then(new VmEffect.ReleaseMigrationTarget(vm.id(), c.migrationId()));
    }

    /** A placement the VM no longer waits for: given back, unless it is the VM's placement answered twice. */
    Moves placementNotWanted(PlacementSucceeded c) {
        if (vm.placedOn(c.node(), c.incarnation())) {
            return this;
        }
        return record(new VmEvent.StaleReportIgnored(meta, c.node(), c.incarnation(), vm.incarnation(), "Placed",
                "placement no longer wanted: VM is " + (vm.exists() ? vm.phase() : "deleted")),
                new ReleasePlacement(vm.id(), c.incarnation()));
    }

    // ---- work a recovered VM resumes (its requests and claims may have been lost with the process) ----

    Moves claimPlacement() {
        VirtualMachineSpec spec = vm.spec();
        return then(new VmEffect.ClaimPlacement(vm.id(), vm.node(), vm.incarnation(), spec.cores(), spec.memoryBytes()));
    }

    Moves askForPlacement() {
        return then(requestPlacement());
    }

    Moves startDomain() {
        return then(new ToNode(new NodeAgentCommand.StartDomain(vm.node(), vm.id(), vm.uid(), vm.incarnation(),
                vm.spec(), meta.requestId())));
    }

    Moves ensureDomain() {
        return then(new ToNode(new NodeAgentCommand.EnsureDomain(vm.node(), vm.id(), vm.incarnation(),
                meta.requestId())));
    }

    Moves stopDomainAgain() {
        return then(stopDomain(false));
    }

    Moves wakeAtRestart() {
        return then(new WakeAt(vm.restartAt()));
    }

    // ---- steps ----

    private Moves requestStart(StartReason reason) {
        return record(new VmEvent.StartRequested(meta, reason), requestPlacement());
    }

    /** The VM stops: a placed one stops its domain, a waiting one withdraws its request. */
    private Moves requestStop(boolean force) {
        return record(new VmEvent.StopRequested(meta, force),
                vm.stage() instanceof Placed ? stopDomain(force) : withdrawal());
    }

    private RequestPlacement requestPlacement() {
        VirtualMachineSpec spec = vm.spec();
        return new RequestPlacement(vm.id(), vm.requestedIncarnation(), spec.cores(), spec.memoryBytes(),
                spec.nodeSelector(), spec.imageFiles(), meta.requestId());
    }

    private ReleasePlacement releasePlacement() {
        return new ReleasePlacement(vm.id(), vm.incarnation());
    }

    /** The withdrawal of a request for a placement, if the VM waits for one; else null. */
    private ReleasePlacement withdrawal() {
        return vm.stage() instanceof WaitingForPlacement ? new ReleasePlacement(vm.id(), vm.requestedIncarnation())
                : null;
    }

    private ToNode stopDomain(boolean force) {
        return new ToNode(new NodeAgentCommand.StopDomain(vm.node(), vm.id(), vm.incarnation(), force,
                vm.spec().gracePeriodSeconds(), meta.requestId()));
    }
}
