package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeReport.ActionFailed;
import dev.vireo.protocol.node.NodeReport.DomainCrashed;
import dev.vireo.protocol.node.NodeReport.DomainFound;
import dev.vireo.protocol.node.NodeReport.DomainMissing;
import dev.vireo.protocol.node.NodeReport.DomainPaused;
import dev.vireo.protocol.node.NodeReport.DomainResumed;
import dev.vireo.protocol.node.NodeReport.DomainStarted;
import dev.vireo.protocol.node.NodeReport.DomainStopped;
import dev.vireo.protocol.node.NodeReport.MigrationAborted;
import dev.vireo.protocol.node.NodeReport.MigrationPrepared;
import dev.vireo.protocol.node.NodeReport.MigrationProgressed;
import dev.vireo.protocol.node.NodeReport.MigrationSucceeded;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.vm.Moves.Ending;
import dev.vireo.protocol.vm.Stage.CrashLoopBackOff;
import dev.vireo.protocol.vm.Stage.ErrorUnschedulable;
import dev.vireo.protocol.vm.Stage.Failed;
import dev.vireo.protocol.vm.Stage.Migrating;
import dev.vireo.protocol.vm.Stage.Paused;
import dev.vireo.protocol.vm.Stage.Restarting;
import dev.vireo.protocol.vm.Stage.Running;
import dev.vireo.protocol.vm.Stage.Scheduling;
import dev.vireo.protocol.vm.Stage.Starting;
import dev.vireo.protocol.vm.Stage.Stopped;
import dev.vireo.protocol.vm.Stage.Stopping;
import dev.vireo.protocol.vm.Stage.Terminating;
import dev.vireo.protocol.vm.Stage.Unknown;
import dev.vireo.protocol.vm.VmCommand.BackoffExpired;
import dev.vireo.protocol.vm.VmCommand.CancelMigration;
import dev.vireo.protocol.vm.VmCommand.Migrate;
import dev.vireo.protocol.vm.VmCommand.MigrationTargetRefused;
import dev.vireo.protocol.vm.VmCommand.MigrationTargetReserved;
import dev.vireo.protocol.vm.VmCommand.Delete;
import dev.vireo.protocol.vm.VmCommand.LoseNode;
import dev.vireo.protocol.vm.VmCommand.NodeNotReady;
import dev.vireo.protocol.vm.VmCommand.Pause;
import dev.vireo.protocol.vm.VmCommand.PlacementFailed;
import dev.vireo.protocol.vm.VmCommand.PlacementSucceeded;
import dev.vireo.protocol.vm.VmCommand.Restart;
import dev.vireo.protocol.vm.VmCommand.Start;
import dev.vireo.protocol.vm.VmCommand.Stop;
import dev.vireo.protocol.vm.VmCommand.Unpause;
import dev.vireo.protocol.vm.VmCommand.UpdateSpec;
import dev.vireo.protocol.vm.VmCommand.RestoreSnapshot;
import dev.vireo.protocol.vm.VmCommand.TakeSnapshot;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The VM's state machine: for each stage of a VM's life, what each command, scheduler answer, timer and
 * node report does, and what a VM recovered in that stage resumes. Read a stage top to bottom; the moves
 * are named in {@link Moves}, which records their events with the effects that follow them.
 *
 * <p>What a stage does not list: a user's command is refused (with the reason in {@link #REFUSALS});
 * anything else changes nothing. Before the table is asked, {@link VmDecider} has answered a create, a
 * command to a VM that does not exist, and anything that is not about the VM's current placement, request
 * or timer (recorded as stale where it says so). So a report here is always of the current placement.
 */
final class VmLifecycle {

    private VmLifecycle() {
    }

    /** Why a user's command that a stage does not list is refused: "cannot pause …: it is Stopped; only …". */
    static final Map<Class<? extends VmCommand>, Refusal> REFUSALS = Map.of(
            Start.class, new Refusal("start", "start it once it is Stopped"),
            Restart.class, new Refusal("restart", "only a Running or Paused VM can be restarted"),
            Pause.class, new Refusal("pause", "only a Running VM can be paused"),
            Unpause.class, new Refusal("unpause", "only a Paused VM can be unpaused"),
            Migrate.class, new Refusal("migrate", "only a Running VM can be live-migrated"),
            CancelMigration.class, new Refusal("cancel the migration of",
                    "only a migration in flight can be cancelled; GET …/migrations says how it ended"),
            TakeSnapshot.class, new Refusal("snapshot", "only a Running, Paused or Stopped VM can be snapshotted"),
            RestoreSnapshot.class, new Refusal("restore", "only a Running, Paused or Stopped VM can be restored"));

    record Refusal(String action, String instead) {
    }

    private static final String MIGRATING = "cancel the migration first (DELETE …/migrations/{id}), or wait for it to end";

    private static final Map<Class<? extends Stage>, Row> TABLE = table(

            row(Stopped.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::startIfItRuns)),
                    on(Start.class, (m, c) -> m.start()),
                    on(Stop.class, (m, c) -> m.keepStopped()),
                    on(Delete.class, (m, c) -> m.deleteNow()),
                    on(TakeSnapshot.class, (m, c) -> m.snapshot(c)),
                    on(RestoreSnapshot.class, (m, c) -> m.restore(c))),

            row(Scheduling.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.unchanged()),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Delete.class, (m, c) -> m.deleteNow()),
                    on(PlacementSucceeded.class, (m, c) -> m.scheduled(c)),
                    on(PlacementFailed.class, (m, c) -> m.unschedulable(c.reason())))
                    .resuming(Moves::askForPlacement),

            // the request stands: the scheduler places the VM once a node has room
            row(ErrorUnschedulable.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.unchanged()),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Delete.class, (m, c) -> m.deleteNow()),
                    on(PlacementSucceeded.class, (m, c) -> m.scheduled(c)))
                    .resuming(Moves::askForPlacement),

            row(Starting.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.unchanged()),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Delete.class, (m, c) -> m.terminate()),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenFollowRunStrategy(Ending.Failure)),
                    on(NodeNotReady.class, (m, c) -> m.unreachable()),
                    on(DomainStarted.class, (m, r) -> m.started()),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.started() : m.unchanged()),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenFollowRunStrategy(Ending.Success)),
                    on(DomainCrashed.class, (m, r) -> m.crashed(r.reason())),
                    on(ActionFailed.class, (m, r) -> r.action() == NodeAction.StartDomain
                            ? m.startFailed(r.message()) : m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().startDomain()),

            row(Running.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.unchanged()),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Restart.class, (m, c) -> m.restart()),
                    on(Pause.class, (m, c) -> m.pause()),
                    on(Unpause.class, (m, c) -> m.unchanged()),
                    on(Migrate.class, (m, c) -> m.migrate(c)),
                    on(Delete.class, (m, c) -> m.terminate()),
                    on(TakeSnapshot.class, (m, c) -> m.snapshot(c)),
                    on(RestoreSnapshot.class, (m, c) -> m.restore(c)),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenFollowRunStrategy(Ending.Failure)),
                    on(NodeNotReady.class, (m, c) -> m.unreachable()),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.unchanged()
                            : m.crashed("domain found shut off on node " + r.node())),
                    on(DomainMissing.class, (m, r) -> m.crashed("domain not found on node " + r.node())),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenFollowRunStrategy(Ending.Success)),
                    on(DomainCrashed.class, (m, r) -> m.crashed(r.reason())),
                    on(DomainPaused.class, (m, r) -> m.pausedByNode()),
                    // the domain is still paused: the VM says what the domain does
                    on(ActionFailed.class, (m, r) -> r.action() == NodeAction.ResumeDomain
                            ? m.actionFailed(r).pausedByNode() : m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().ensureDomain()),

            row(Paused.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.cannot("start", "unpause it instead")),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Restart.class, (m, c) -> m.restart()),
                    on(Pause.class, (m, c) -> m.unchanged()),
                    on(Unpause.class, (m, c) -> m.unpause()),
                    on(Delete.class, (m, c) -> m.terminate()),
                    on(TakeSnapshot.class, (m, c) -> m.snapshot(c)),
                    on(RestoreSnapshot.class, (m, c) -> m.restore(c)),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenFollowRunStrategy(Ending.Failure)),
                    on(NodeNotReady.class, (m, c) -> m.unreachable()),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.unchanged()
                            : m.crashed("domain found shut off on node " + r.node())),
                    on(DomainMissing.class, (m, r) -> m.crashed("domain not found on node " + r.node())),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenFollowRunStrategy(Ending.Success)),
                    on(DomainCrashed.class, (m, r) -> m.crashed(r.reason())),
                    on(DomainResumed.class, (m, r) -> m.resumedByNode()),
                    // the domain kept running: the VM says what the domain does
                    on(ActionFailed.class, (m, r) -> r.action() == NodeAction.PauseDomain
                            ? m.actionFailed(r).resumedByNode() : m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().ensureDomain()),

            // live-migrating: only the source runs the domain until the source's libvirt says it moved; a report
            // of the target's placement counts too (see VmDecider)
            row(Migrating.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::nothingMore)),
                    on(Start.class, (m, c) -> m.unchanged()),
                    on(Stop.class, (m, c) -> m.cannot("stop", MIGRATING)),
                    on(Restart.class, (m, c) -> m.cannot("restart", MIGRATING)),
                    on(Pause.class, (m, c) -> m.cannot("pause", MIGRATING)),
                    on(Unpause.class, (m, c) -> m.unchanged()),
                    on(Delete.class, (m, c) -> m.cannot("delete", MIGRATING)),
                    on(TakeSnapshot.class, (m, c) -> m.cannot("snapshot", MIGRATING)),
                    on(RestoreSnapshot.class, (m, c) -> m.cannot("restore", MIGRATING)),
                    on(Migrate.class, (m, c) -> m.migrateAgain(c)),
                    on(CancelMigration.class, (m, c) -> m.cancelMigration(c)),
                    on(MigrationTargetReserved.class, (m, c) -> m.migrationTargetReserved(c)),
                    on(MigrationTargetRefused.class, (m, c) -> m.migrationTargetRefused(c)),
                    on(LoseNode.class, (m, c) -> m.migrationNodeLost(c.node())),
                    on(NodeNotReady.class, (m, c) -> m.unchanged()),
                    on(MigrationPrepared.class, (m, r) -> m.migrationReport(r)),
                    on(MigrationProgressed.class, (m, r) -> m.migrationReport(r)),
                    on(MigrationSucceeded.class, (m, r) -> m.migrationReport(r)),
                    on(MigrationAborted.class, (m, r) -> m.migrationReport(r)),
                    on(DomainStarted.class, (m, r) -> m.migrationReport(r)),
                    on(DomainFound.class, (m, r) -> m.migrationReport(r)),
                    on(DomainMissing.class, (m, r) -> m.migrationReport(r)),
                    on(DomainStopped.class, (m, r) -> m.migrationReport(r)),
                    on(DomainCrashed.class, (m, r) -> m.migrationReport(r)),
                    on(DomainPaused.class, (m, r) -> m.migrationReport(r)),
                    on(DomainResumed.class, (m, r) -> m.migrationReport(r)),
                    on(ActionFailed.class, (m, r) -> m.migrationReport(r)))
                    .resuming(Moves::resumeMigration),

            // the node cannot reach its hypervisor; its next report on the domain says what survived
            row(Unknown.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Delete.class, (m, c) -> m.terminate()),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenFollowRunStrategy(Ending.Failure)),
                    on(DomainStarted.class, (m, r) -> m.reachable(DomainState.Running)),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.reachable(r.state())
                            : m.crashed("domain found shut off on node " + r.node())),
                    on(DomainMissing.class, (m, r) -> m.crashed("domain not found on node " + r.node())),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenFollowRunStrategy(Ending.Success)),
                    on(DomainCrashed.class, (m, r) -> m.crashed(r.reason())),
                    on(ActionFailed.class, (m, r) -> m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().ensureDomain()),

            // stopping to stay stopped: once the domain is gone the runStrategy has its say (it may have
            // changed meanwhile); a stop under way can only be forced
            row(Stopping.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::nothingMore)),
                    on(Stop.class, (m, c) -> c.force() ? m.stop(true) : m.keepStopped()),
                    on(Delete.class, (m, c) -> m.terminateWhileStopping()),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenFollowRunStrategy(Ending.Requested)),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.unchanged()
                            : m.domainStopped("Shutdown").thenFollowRunStrategy(Ending.Requested)),
                    on(DomainMissing.class, (m, r) -> m.domainStopped("NotFound").thenFollowRunStrategy(Ending.Requested)),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenFollowRunStrategy(Ending.Requested)),
                    on(DomainCrashed.class, (m, r) -> m.crashedWhileStopping(r.reason())
                            .thenFollowRunStrategy(Ending.Requested)),
                    on(ActionFailed.class, (m, r) -> m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().stopDomainAgain()),

            // stopping to start again (phase Stopping): a stop, or Halted, cancels the restart
            row(Restarting.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Stop.class, (m, c) -> m.stop(true)),
                    on(Delete.class, (m, c) -> m.terminateWhileStopping()),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenStartAgain()),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.unchanged()
                            : m.domainStopped("Shutdown").thenStartAgain()),
                    on(DomainMissing.class, (m, r) -> m.domainStopped("NotFound").thenStartAgain()),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenStartAgain()),
                    on(DomainCrashed.class, (m, r) -> m.crashedWhileStopping(r.reason()).thenStartAgain()),
                    on(ActionFailed.class, (m, r) -> m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().stopDomainAgain()),

            // stopping to be deleted: only a forced stop is still taken
            row(Terminating.class,
                    on(UpdateSpec.class, (m, c) -> m.refuseWhileDeleting()),
                    on(Start.class, (m, c) -> m.refuseWhileDeleting()),
                    on(Stop.class, (m, c) -> c.force() ? m.stop(true) : m.refuseWhileDeleting()),
                    on(Restart.class, (m, c) -> m.refuseWhileDeleting()),
                    on(Pause.class, (m, c) -> m.refuseWhileDeleting()),
                    on(Unpause.class, (m, c) -> m.refuseWhileDeleting()),
                    on(TakeSnapshot.class, (m, c) -> m.refuseWhileDeleting()),
                    on(RestoreSnapshot.class, (m, c) -> m.refuseWhileDeleting()),
                    on(Delete.class, (m, c) -> m.unchanged()),
                    on(LoseNode.class, (m, c) -> m.nodeLost().thenDelete()),
                    on(DomainFound.class, (m, r) -> r.state().active() ? m.unchanged()
                            : m.domainStopped("Shutdown").thenDelete()),
                    on(DomainMissing.class, (m, r) -> m.domainStopped("NotFound").thenDelete()),
                    on(DomainStopped.class, (m, r) -> m.domainStopped(r.reason()).thenDelete()),
                    on(DomainCrashed.class, (m, r) -> m.crashedWhileStopping(r.reason()).thenDelete()),
                    on(ActionFailed.class, (m, r) -> m.actionFailed(r)))
                    .resuming(m -> m.claimPlacement().stopDomainAgain()),

            row(CrashLoopBackOff.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::stopIfHalted)),
                    on(Start.class, (m, c) -> m.start()),
                    on(Stop.class, (m, c) -> m.stop(c.force())),
                    on(Delete.class, (m, c) -> m.deleteNow()),
                    on(BackoffExpired.class, (m, c) -> m.restartAfterBackOff()))
                    .resuming(Moves::wakeAtRestart),

            row(Failed.class,
                    on(UpdateSpec.class, (m, c) -> m.update(c, Moves::startIfItRuns)),
                    on(Start.class, (m, c) -> m.start()),
                    on(Stop.class, (m, c) -> m.keepStopped()),
                    on(Delete.class, (m, c) -> m.deleteNow())));

    /** What {@code input} (a command, or the report of a {@code ReportFromNode}) does to a VM in {@code stage}. */
    static Moves decide(Stage stage, Object input, Moves moves) {
        Row row = row(stage);
        @SuppressWarnings("unchecked")
        Move<Object> move = (Move<Object>) row.moves.get(input.getClass());
        if (move != null) {
            return move.make(moves, input);
        }
        Refusal refusal = REFUSALS.get(input.getClass());
        return refusal != null ? moves.cannot(refusal.action(), refusal.instead()) : moves.unchanged();
    }

    /** The work a VM recovered in {@code stage} resumes. */
    static Moves resume(Stage stage, Moves moves) {
        return row(stage).resume.apply(moves);
    }

    private static Row row(Stage stage) {
        Row row = TABLE.get(stage.getClass());
        if (row == null) {
            throw new IllegalStateException("no row for " + stage.getClass().getSimpleName() + " in the VM lifecycle");
        }
        return row;
    }

    // ---- the table's plumbing ----

    /** A move: what one input does to a VM in one stage. */
    @FunctionalInterface
    interface Move<I> {
        Moves make(Moves moves, I input);
    }

    private record On<I>(Class<I> input, Move<I> move) {
    }

    private static <I> On<I> on(Class<I> input, Move<I> move) {
        return new On<>(input, move);
    }

    private static final class Row {
        final Class<? extends Stage> stage;
        final Map<Class<?>, Move<?>> moves = new HashMap<>();
        Function<Moves, Moves> resume = Moves::unchanged;

        Row(Class<? extends Stage> stage, List<On<?>> entries) {
            this.stage = stage;
            for (On<?> entry : entries) {
                if (moves.put(entry.input(), entry.move()) != null) {
                    throw new IllegalStateException(stage.getSimpleName() + " lists " + entry.input().getSimpleName()
                            + " twice");
                }
            }
        }

        Row resuming(Function<Moves, Moves> resume) {
            this.resume = resume;
            return this;
        }
    }

    private static Row row(Class<? extends Stage> stage, On<?>... entries) {
        return new Row(stage, Arrays.asList(entries));
    }

    private static Map<Class<? extends Stage>, Row> table(Row... rows) {
        Map<Class<? extends Stage>, Row> table = new HashMap<>();
        for (Row row : rows) {
            table.put(row.stage, row);
        }
        for (Class<?> stage : stages(Stage.class)) {
            if (!table.containsKey(stage)) {
                throw new IllegalStateException("the VM lifecycle has no row for " + stage.getSimpleName());
            }
        }
        return Map.copyOf(table);
    }

    /** The records that implement {@code type}, through its sealed sub-interfaces. */
    static List<Class<?>> stages(Class<?> type) {
        if (!type.isInterface()) {
            return List.of(type);
        }
        return Arrays.stream(type.getPermittedSubclasses()).flatMap(sub -> stages(sub).stream()).distinct().toList();
    }
}
