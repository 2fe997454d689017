package dev.vireo.protocol.vm;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.vm.Stage.Active;
import dev.vireo.protocol.vm.Stage.CrashLoopBackOff;
import dev.vireo.protocol.vm.Stage.ErrorUnschedulable;
import dev.vireo.protocol.vm.Stage.Failed;
import dev.vireo.protocol.vm.Stage.GoingDown;
import dev.vireo.protocol.vm.Stage.Migrating;
import dev.vireo.protocol.vm.Stage.Placed;
import dev.vireo.protocol.vm.Stage.Restarting;
import dev.vireo.protocol.vm.Stage.Running;
import dev.vireo.protocol.vm.Stage.Scheduling;
import dev.vireo.protocol.vm.Stage.Starting;
import dev.vireo.protocol.vm.Stage.Stopped;
import dev.vireo.protocol.vm.Stage.Stopping;
import dev.vireo.protocol.vm.Stage.Terminating;
import dev.vireo.protocol.vm.Stage.Unknown;
import dev.vireo.protocol.vm.Stage.WaitingForPlacement;
import dev.vireo.protocol.vm.VmEvent.*;
import java.time.Instant;
import java.util.Map;

/**
 * A VM as its event log says it is. Immutable; {@link #apply} is the only way it changes.
 *
 * @param vm                 the VM, or null while there is none (never created, or deleted)
 * @param incarnation        the fencing token of the VM's newest placement: only grows, also across delete and
 *                           re-create, so that a report of an old placement is never taken for a current one
 * @param lastTransitionTime when the phase last changed
 * @param version            the events applied: the log's last sequence number, and the resourceVersion
 */
public record VmState(VmId id, long incarnation, Vm vm, Instant lastTransitionTime, long version)
        implements CborSerializable {

    /**
     * A VM that exists: what it is defined as, where it is in its life, and how its last runs went.
     *
     * @param crashCount crashes in a row, for the CrashLoopBackOff
     * @param failure    why it last failed, as its Failure condition says; null once it starts again
     */
    public record Vm(Definition definition, Stage stage, int crashCount, String failure, Snapshots snapshots) {

        @com.fasterxml.jackson.annotation.JsonCreator
        public Vm {
            snapshots = snapshots == null ? Snapshots.NONE : snapshots; // a state recorded before snapshots existed
        }

        public Vm(Definition definition, Stage stage, int crashCount, String failure) {
            this(definition, stage, crashCount, failure, Snapshots.NONE);
        }

        static Vm created(String uid, Map<String, String> labels, VirtualMachineSpec spec, Instant at) {
            return new Vm(new Definition(uid, Map.copyOf(labels), spec, 1, at), new Stopped(), 0, null, Snapshots.NONE);
        }

        Vm definedAs(Map<String, String> labels, VirtualMachineSpec spec) {
            Definition d = definition;
            return new Vm(new Definition(d.uid(), Map.copyOf(labels), spec, d.generation() + 1, d.creationTimestamp()),
                    stage, crashCount, failure, snapshots);
        }

        Vm runBy(RunStrategy strategy) {
            VirtualMachineSpec spec = definition.spec();
            return spec.runStrategy() == strategy ? this : definedAs(definition.labels(), spec.withRunStrategy(strategy));
        }

        Vm to(Stage next) {
            return new Vm(definition, next, crashCount, failure, snapshots);
        }

        Vm failing(String why) {
            return new Vm(definition, stage, crashCount, why, snapshots);
        }

        Vm withoutFailure() {
            return failing(null);
        }

        Vm crashedTimes(int count) {
            return new Vm(definition, stage, count, failure, snapshots);
        }

        Vm with(Snapshots changed) {
            return changed == snapshots ? this : new Vm(definition, stage, crashCount, failure, changed);
        }
    }

    /** What a VM is defined as: its identity, its labels and spec, and how often they changed. */
    public record Definition(String uid, Map<String, String> labels, VirtualMachineSpec spec, long generation,
                             Instant creationTimestamp) {
    }

    public static VmState empty(VmId id) {
        return new VmState(id, 0, null, null, 0);
    }

    public VmState apply(VmEvent event) {
        Instant at = event.meta().timestamp();
        VmState next = changedBy(event, at);
        if (next.vm != null && next.node() != null) {
            next = next.with(next.vm.with(next.vm.snapshots().at(next.node()))); // its files are where it is placed
        }
        return new VmState(id, next.incarnation, next.vm, next.phase() != phase() ? at : lastTransitionTime,
                version + 1);
    }

    private VmState changedBy(VmEvent event, Instant at) {
        if (event instanceof VmCreated e) {
            return with(Vm.created(e.uid(), e.labels(), e.spec(), at));
        } else if (event instanceof SpecUpdated e) {
            return with(vm.definedAs(e.labels(), e.spec()));
        } else if (event instanceof RunStrategyChanged e) {
            return with(vm.runBy(e.to()));
        } else if (event instanceof StartRequested e) {
            int crashes = e.reason() == StartReason.Requested ? 0 : vm.crashCount();
            return with(vm.to(new Scheduling()).withoutFailure().crashedTimes(crashes));
        } else if (event instanceof Scheduled e) {
            return new VmState(id, e.incarnation(), vm.to(new Starting(e.node())).withoutFailure(), lastTransitionTime,
                    version);
        } else if (event instanceof Unschedulable e) {
            return with(vm.to(new ErrorUnschedulable()).failing(e.reason()));
        } else if (event instanceof DomainStarted) {
            return with(vm.to(new Running(node(), at)).withoutFailure());
        } else if (event instanceof StopRequested) {
            Stage stopping = stage() instanceof Terminating t ? t
                    : stage() instanceof Placed p ? new Stopping(p.node()) : new Stopped();
            return new VmState(id, withdrawn(), vm.to(stopping), lastTransitionTime, version);
        } else if (event instanceof DomainStopped) {
            return with(vm.to(new Stopped()).withoutFailure());
        } else if (event instanceof DomainCrashed e) {
            if (stage() instanceof GoingDown) {
                return with(vm.to(new Stopped()).withoutFailure());
            }
            Stage after = e.restart() ? new CrashLoopBackOff(at.plusSeconds(e.backoffSeconds())) : new Failed();
            return with(vm.to(after).failing(e.reason()).crashedTimes(e.crashCount()));
        } else if (event instanceof VmEvent.Paused) {
            return with(vm.to(new Stage.Paused(node(), runningSince())));
        } else if (event instanceof Unpaused) {
            return with(vm.to(new Running(node(), runningSince())));
        } else if (event instanceof RestartRequested) {
            return with(vm.to(new Restarting(node())));
        } else if (event instanceof NodeLost e) {
            return stage() instanceof GoingDown ? with(vm.to(new Stopped()).withoutFailure())
                    : with(vm.to(new Failed()).failing("node " + e.node() + " was lost"));
        } else if (event instanceof DeleteRequested) {
            return with(vm.to(new Terminating(node())));
        } else if (event instanceof VmDeleted) {
            return new VmState(id, withdrawn(), null, lastTransitionTime, version);
        } else if (event instanceof NodeActionFailed e) {
            return with(vm.failing(e.action() + " failed on node " + e.node() + ": " + e.message()));
        } else if (event instanceof NodeUnreachable e) {
            return with(vm.to(new Unknown(node(), runningSince()))
                    .failing("node " + e.node() + " cannot reach its hypervisor"));
        } else if (event instanceof NodeReachable e) {
            Instant since = runningSince() == null ? at : runningSince();
            Stage reached = e.domainState() == DomainState.Paused ? new Stage.Paused(node(), since) : new Running(node(), since);
            return with(vm.to(reached).withoutFailure());
        } else if (event instanceof StaleReportIgnored || event instanceof MigrationProgressed) {
            return this;
        } else if (event instanceof MigrationEvent e) {
            return migrated(e);
        } else if (event instanceof SnapshotEvent e) {
            return with(vm.with(snapshotted(vm.snapshots(), e, at)));
        }
        throw new IllegalArgumentException("unknown event " + event.getClass().getName());
    }

    /** A step of a live migration: only a completed one moves the VM, to its target under a new incarnation. */
    private VmState migrated(MigrationEvent event) {
        if (event instanceof MigrationRequested e) {
            return with(vm.to(new Migrating(node(), runningSince(),
                    Migration.requested(e.migrationId(), e.source(), e.requestedTarget(), e.policy()))));
        }
        Migrating migrating = (Migrating) stage();
        Migration m = migrating.migration();
        if (event instanceof MigrationTargetChosen e) {
            return with(vm.to(migrating.with(m.targetChosen(e.target(), e.targetIncarnation()))));
        } else if (event instanceof MigrationStarted) {
            return with(vm.to(migrating.with(m.started())));
        } else if (event instanceof MigrationCancelRequested) {
            return with(vm.to(migrating.with(m.cancelling())));
        } else if (event instanceof MigrationCompleted e) {
            return new VmState(id, e.incarnation(), vm.to(new Running(e.target(), runningSince())).withoutFailure(),
                    lastTransitionTime, version);
        }
        // failed or cancelled: it runs on where it ran
        return with(vm.to(new Running(migrating.node(), runningSince())));
    }

    private static Snapshots snapshotted(Snapshots snapshots, SnapshotEvent event, Instant at) {
        if (event instanceof SnapshotRequested e) {
            return snapshots.requested(e.snapshot(), e.memory(), e.node(), e.meta());
        } else if (event instanceof SnapshotCompleted e) {
            return snapshots.completed(e.snapshot(), at, e.sizeBytes(), e.pauseMs());
        } else if (event instanceof SnapshotFailed e) {
            return snapshots.failed(e.snapshot(), at, e.reason());
        } else if (event instanceof SnapshotDeleted e) {
            return snapshots.deleted(e.snapshot());
        } else if (event instanceof RestoreRequested e) {
            return snapshots.restoring(e.snapshot(), e.node(), e.policy(), e.meta().requestId());
        }
        return snapshots.restoreEnded(); // completed or failed
    }

    private VmState with(Vm changed) {
        return new VmState(id, incarnation, changed, lastTransitionTime, version);
    }

    /**
     * The incarnation once a pending placement request is withdrawn: the request used up {@code incarnation + 1},
     * so that a late answer to it is never taken for the answer to a later request.
     */
    private long withdrawn() {
        return stage() instanceof WaitingForPlacement ? incarnation + 1 : incarnation;
    }

    // ---- reads ----

    public boolean exists() {
        return vm != null;
    }

    /** Where the VM is in its life; null when there is no VM. */
    public Stage stage() {
        return vm == null ? null : vm.stage();
    }

    /** The VM's phase; Stopped when there is no VM (nothing runs). */
    public Phase phase() {
        return vm == null ? Phase.Stopped : vm.stage().phase();
    }

    /** The node the VM is placed on; null when it has no placement. */
    public String node() {
        return stage() instanceof Placed p ? p.node() : null;
    }

    /** The placement the scheduler is asked for while the VM waits for one. */
    public long requestedIncarnation() {
        return incarnation + 1;
    }

    /** True while the VM waits for the placement {@code requested}. */
    public boolean awaitsPlacement(long requested) {
        return stage() instanceof WaitingForPlacement && requested == requestedIncarnation();
    }

    /** True when the VM runs (or is meant to run) on {@code node} under {@code incarnation}. */
    public boolean placedOn(String node, long incarnation) {
        return node != null && node.equals(node()) && incarnation == this.incarnation;
    }

    /**
     * True when a domain of {@code incarnation} on {@code node} is the VM's own: its placement, or the target of its
     * live migration in flight (where libvirt creates the domain, then moves the guest into it). A node asking which of
     * its domains are still its own must keep such a one: destroying it would kill an incoming migration, or the guest
     * itself once the switchover is done.
     */
    public boolean ownsDomain(String node, long incarnation) {
        Migration m = migration();
        return placedOn(node, incarnation) || m != null && m.isTarget(node, incarnation);
    }

    /** When its domain last started running; null unless it is meant to run. */
    public Instant runningSince() {
        return stage() instanceof Active a ? a.runningSince() : null;
    }

    /** The live migration in flight; null when none is. */
    public Migration migration() {
        return stage() instanceof Migrating m ? m.migration() : null;
    }

    /** The VM's snapshots and the snapshot or restore under way; none when there is no VM. */
    public Snapshots snapshots() {
        return vm == null ? Snapshots.NONE : vm.snapshots();
    }

    /** When a CrashLoopBackOff ends; null in any other phase. */
    public Instant restartAt() {
        return stage() instanceof CrashLoopBackOff c ? c.restartAt() : null;
    }

    /** True from the delete of a VM with a domain until the domain is gone and the VM with it. */
    public boolean deleting() {
        return stage() instanceof Terminating;
    }

    public String uid() {
        return vm == null ? null : vm.definition().uid();
    }

    public Map<String, String> labels() {
        return vm == null ? Map.of() : vm.definition().labels();
    }

    public VirtualMachineSpec spec() {
        return vm == null ? null : vm.definition().spec();
    }

    public long generation() {
        return vm == null ? 0 : vm.definition().generation();
    }

    public Instant creationTimestamp() {
        return vm == null ? null : vm.definition().creationTimestamp();
    }

    public int crashCount() {
        return vm == null ? 0 : vm.crashCount();
    }

    /** Why the VM last failed, as its Failure condition says; null when nothing failed since it last started. */
    public String failureReason() {
        return vm == null ? null : vm.failure();
    }

    public RunStrategy runStrategy() {
        return vm == null ? RunStrategy.Halted : vm.definition().spec().runStrategy();
    }

    public String resourceVersion() {
        return Long.toString(version);
    }
}
