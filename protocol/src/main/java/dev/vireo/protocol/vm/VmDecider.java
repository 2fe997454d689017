package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand.*;
import java.time.Instant;
import java.util.List;

/**
 * Decides what a command means for a VM: the events to record and the effects that follow them, or why it
 * is refused. Pure: the same state, command, clock and policy always give the same decision.
 *
 * <p>This class fences: it answers what is not about the VM as it is now (a report of another placement, a
 * placement or a timer no longer waited for, news of another node) and hands the rest to the state
 * machine, {@link VmLifecycle}, which says what each input does in each stage.
 */
public final class VmDecider {

    private final VmPolicy policy;

    public VmDecider(VmPolicy policy) {
        this.policy = policy;
    }

    public Decision decide(VmState state, VmCommand command, Instant now) {
        Moves moves = new Moves(state, new EventMeta(now, command.requestId(), command.principal()), policy);
        return fenced(state, command, moves).decision();
    }

    private static Moves fenced(VmState state, VmCommand command, Moves moves) {
        if (command instanceof Create c) {
            return state.exists() ? moves.refuse(new Rejection(Rejection.Code.AlreadyExists,
                    "virtualmachine " + state.id() + " already exists", "metadata.name")) : moves.create(c);
        }
        if (command instanceof ReportFromNode c) {
            NodeReport report = c.report();
            if (SnapshotReports.isAbout(report)) {
                Snapshots.Pending pending = state.snapshots().pending();
                return pending != null && pending.node().equals(report.node()) ? moves.snapshotReport(report)
                        : moves.staleReport(report);
            }
            return state.ownsDomain(report.node(), report.incarnation()) ? VmLifecycle.decide(state.stage(), report, moves) : moves.staleReport(report);
        }
        if (command instanceof PlacementSucceeded c) {
            return state.awaitsPlacement(c.incarnation())
                    ? VmLifecycle.decide(state.stage(), c, moves) : moves.placementNotWanted(c);
        }
        if (command instanceof MigrationTargetReserved c) {
            return state.migration() != null ? VmLifecycle.decide(state.stage(), c, moves) : moves.targetNotWanted(c);
        }
        boolean current;
        if (command instanceof MigrationTargetRefused) {
            current = state.migration() != null;
        } else if (command instanceof PlacementFailed c) {
            current = state.awaitsPlacement(c.incarnation());
        } else if (command instanceof BackoffExpired c) {
            current = c.restartAt().equals(state.restartAt());
        } else if (command instanceof LoseNode c) {
            current = c.node().equals(state.node())
                    || state.migration() != null && c.node().equals(state.migration().target());
        } else if (command instanceof NodeNotReady c) {
            current = c.node().equals(state.node());
        } else if (!state.exists()) {
            return moves.refuse(Rejection.notFound(state.id()));
        } else if (command instanceof DeleteSnapshot c) {
            return moves.deleteSnapshot(c); // in any phase: the record goes, the files go from their node
        } else {
            current = true; // a user's command
        }
        return current ? VmLifecycle.decide(state.stage(), command, moves) : moves.unchanged();
    }

    /** What a VM recovered from its log resumes: its pending requests and claims may have been lost. */
    public List<VmEffect> onRecovery(VmState state, String requestId) {
        if (!state.exists()) {
            return List.of();
        }
        Moves moves = new Moves(state, new EventMeta(null, requestId, EventMeta.SYSTEM), policy);
        return VmLifecycle.resume(state.stage(), moves).resumeSnapshotWork().effects();
    }
}
