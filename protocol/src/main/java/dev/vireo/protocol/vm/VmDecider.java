package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand.*;
import dev.vireo.protocol.vm.VmEvent.StartReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Decides what a command means for a VM: the events to record, or why it is refused. Pure: the
 * same state, command, clock and policy always give the same decision.
 */
public final class VmDecider {

    private final VmPolicy policy;

    public VmDecider(VmPolicy policy) {
        this.policy = policy;
    }

    public Decision decide(VmState state, VmCommand command, Instant now) {
        EventMeta meta = new EventMeta(now, command.requestId(), command.principal());
        if (command instanceof Create c) {
            return create(state, c, meta);
        }
        if (command instanceof PlacementSucceeded c) {
            return placed(state, c, meta);
        }
        if (command instanceof PlacementFailed c) {
            return state.exists() && state.phase() == Phase.Scheduling && c.incarnation() == state.incarnation() + 1
                    ? Decision.accept(new VmEvent.Unschedulable(meta, c.reason()))
                    : Decision.unchanged();
        }
        if (command instanceof ReportFromNode c) {
            return new NodeReports(state, meta, policy).decide(c.report());
        }
        if (command instanceof BackoffExpired c) {
            return state.exists() && state.phase() == Phase.CrashLoopBackOff && c.restartAt().equals(state.restartAt())
                    ? Decision.accept(new VmEvent.StartRequested(meta, StartReason.CrashLoopBackOff))
                    : Decision.unchanged();
        }
        if (command instanceof LoseNode c) {
            return loseNode(state, c, meta);
        }
        if (command instanceof NodeNotReady c) {
            boolean affected = state.exists() && c.node().equals(state.node()) && (state.phase() == Phase.Starting
                    || state.phase() == Phase.Running || state.phase() == Phase.Paused);
            return affected ? Decision.accept(new VmEvent.NodeUnreachable(meta, c.node(), state.incarnation()))
                    : Decision.unchanged();
        }
        if (!state.exists()) {
            return Decision.reject(Rejection.notFound(state.id()));
        }
        boolean forceStop = command instanceof Stop stop && stop.force();
        if (state.deleting() && !(command instanceof Delete) && !forceStop) {
            return Decision.reject(Rejection.illegal("virtualmachine " + state.id() + " is being deleted;"
                    + " only a forced stop (stop?force=true) is still possible"));
        }
        if (command instanceof UpdateSpec c) {
            return updateSpec(state, c, meta);
        }
        if (command instanceof Start) {
            return start(state, meta);
        }
        if (command instanceof Stop c) {
            return stop(state, c.force(), meta);
        }
        if (command instanceof Restart) {
            return restart(state, meta);
        }
        if (command instanceof Pause) {
            return switch (state.phase()) {
                case Running -> Decision.accept(new VmEvent.Paused(meta, false));
                case Paused -> Decision.unchanged();
                default -> Decision.reject(Rejection.illegal("cannot pause virtualmachine " + state.id()
                        + ": it is " + state.phase() + "; only a Running VM can be paused"));
            };
        }
        if (command instanceof Unpause) {
            return switch (state.phase()) {
                case Paused -> Decision.accept(new VmEvent.Unpaused(meta, false));
                case Running -> Decision.unchanged();
                default -> Decision.reject(Rejection.illegal("cannot unpause virtualmachine " + state.id()
                        + ": it is " + state.phase() + "; only a Paused VM can be unpaused"));
            };
        }
        if (command instanceof Delete) {
            return delete(state, meta);
        }
        throw new IllegalArgumentException("unknown command " + command.getClass().getName());
    }

    private Decision create(VmState state, Create c, EventMeta meta) {
        if (state.exists()) {
            return Decision.reject(new Rejection(Rejection.Code.AlreadyExists,
                    "virtualmachine " + state.id() + " already exists", "metadata.name"));
        }
        List<VmEvent> events = new ArrayList<>();
        events.add(new VmEvent.VmCreated(meta, c.uid(), c.labels(), c.spec()));
        if (startsOnCreate(c.spec().runStrategy())) {
            events.add(new VmEvent.StartRequested(meta, StartReason.Requested));
        }
        return Decision.accept(events);
    }

    private static boolean startsOnCreate(RunStrategy strategy) {
        return strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure || strategy == RunStrategy.Once;
    }

    private Decision updateSpec(VmState state, UpdateSpec c, EventMeta meta) {
        if (c.expectedResourceVersion() != null && !c.expectedResourceVersion().equals(state.resourceVersion())) {
            return Decision.reject(new Rejection(Rejection.Code.StaleResourceVersion,
                    "resourceVersion " + c.expectedResourceVersion() + " is stale: virtualmachine " + state.id()
                            + " is at " + state.resourceVersion() + "; read it again and retry",
                    "metadata.resourceVersion"));
        }
        RunStrategy from = state.runStrategy();
        RunStrategy to = c.spec().runStrategy();
        boolean otherChanges = !Objects.equals(state.spec().withRunStrategy(to), c.spec())
                || !Objects.equals(state.labels(), c.labels());
        List<VmEvent> events = new ArrayList<>();
        if (otherChanges) {
            events.add(new VmEvent.SpecUpdated(meta, c.labels(), c.spec()));
        }
        if (from != to) {
            events.add(new VmEvent.RunStrategyChanged(meta, from, to));
            events.addAll(followRunStrategy(state, to, meta));
        }
        return Decision.accept(events);
    }

    /** What a new runStrategy means for a VM in its current phase. */
    private static List<VmEvent> followRunStrategy(VmState state, RunStrategy to, EventMeta meta) {
        boolean down = state.phase() == Phase.Stopped || state.phase() == Phase.Failed;
        // a Stopping VM that would restart afterwards needs the stop again, to cancel the restart
        if (to == RunStrategy.Halted && !down && (state.phase() != Phase.Stopping || state.restartPending())) {
            return List.of(new VmEvent.StopRequested(meta, false));
        }
        if ((to == RunStrategy.Always || to == RunStrategy.RerunOnFailure) && down) {
            return List.of(new VmEvent.StartRequested(meta, StartReason.Requested));
        }
        return List.of();
    }

    private Decision start(VmState state, EventMeta meta) {
        return switch (state.phase()) {
            case Scheduling, ErrorUnschedulable, Starting, Running -> Decision.unchanged();
            case Stopped, Failed, CrashLoopBackOff -> {
                List<VmEvent> events = new ArrayList<>();
                if (state.runStrategy() == RunStrategy.Halted) {
                    events.add(new VmEvent.RunStrategyChanged(meta, RunStrategy.Halted, RunStrategy.Always));
                }
                events.add(new VmEvent.StartRequested(meta, StartReason.Requested));
                yield Decision.accept(events);
            }
            default -> Decision.reject(Rejection.illegal("cannot start virtualmachine " + state.id() + ": it is "
                    + state.phase() + (state.phase() == Phase.Paused ? "; unpause it instead"
                    : "; start it once it is Stopped")));
        };
    }

    private Decision stop(VmState state, boolean force, EventMeta meta) {
        List<VmEvent> events = new ArrayList<>();
        RunStrategy strategy = state.runStrategy();
        if (strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure) {
            events.add(new VmEvent.RunStrategyChanged(meta, strategy, RunStrategy.Halted));
        }
        switch (state.phase()) {
            case Stopped, Failed -> {
            }
            case Stopping, Terminating -> {
                if (force || state.restartPending()) {
                    events.add(new VmEvent.StopRequested(meta, true));
                }
            }
            default -> events.add(new VmEvent.StopRequested(meta, force));
        }
        return Decision.accept(events);
    }

    private Decision restart(VmState state, EventMeta meta) {
        if (state.phase() == Phase.Running || state.phase() == Phase.Paused) {
            return Decision.accept(new VmEvent.RestartRequested(meta));
        }
        return Decision.reject(Rejection.illegal("cannot restart virtualmachine " + state.id() + ": it is "
                + state.phase() + "; only a Running or Paused VM can be restarted"));
    }

    private Decision delete(VmState state, EventMeta meta) {
        if (state.deleting()) {
            return Decision.unchanged();
        }
        if (state.node() != null) {
            return Decision.accept(new VmEvent.DeleteRequested(meta));
        }
        return Decision.accept(new VmEvent.VmDeleted(meta, state.uid()));
    }

    private Decision placed(VmState state, PlacementSucceeded c, EventMeta meta) {
        if (state.exists() && state.phase().isWaitingForPlacement() && c.incarnation() == state.incarnation() + 1) {
            return Decision.accept(new VmEvent.Scheduled(meta, c.node(), c.incarnation()));
        }
        if (state.node() != null && state.node().equals(c.node()) && state.incarnation() == c.incarnation()) {
            return Decision.unchanged(); // the same placement answered twice
        }
        return Decision.accept(new VmEvent.StaleReportIgnored(meta, c.node(), c.incarnation(), state.incarnation(),
                "Placed", "placement no longer wanted: VM is " + (state.exists() ? state.phase() : "deleted")));
    }

    private Decision loseNode(VmState state, LoseNode c, EventMeta meta) {
        if (!state.exists() || !c.node().equals(state.node())) {
            return Decision.unchanged();
        }
        List<VmEvent> events = new ArrayList<>();
        events.add(new VmEvent.NodeLost(meta, c.node(), state.incarnation()));
        VmState after = state.apply(events.get(0));
        events.addAll(afterDomainGone(after, meta, state.phase() == Phase.Stopping || state.phase() == Phase.Terminating
                ? Ending.Requested : Ending.Failure));
        return Decision.accept(events);
    }

    /** How a domain ended, for the runStrategy's verdict. */
    enum Ending { Requested, Success, Failure }

    /**
     * The follow-up once a VM's domain is gone: finish a delete or a restart, or let the runStrategy
     * bring the VM back.
     */
    static List<VmEvent> afterDomainGone(VmState after, EventMeta meta, Ending ending) {
        if (after.deleting()) {
            return List.of(new VmEvent.VmDeleted(meta, after.uid()));
        }
        if (after.restartPending()) {
            return List.of(new VmEvent.StartRequested(meta, StartReason.Restart));
        }
        RunStrategy strategy = after.runStrategy();
        boolean again = switch (ending) {
            // a stop under Always is switched to Halted first: Always (or RerunOnFailure) now means the
            // runStrategy changed while the VM was stopping, and it would start had it been down already
            case Requested -> strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure;
            case Success -> strategy == RunStrategy.Always;
            case Failure -> strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure;
        };
        if (again && after.phase() != Phase.CrashLoopBackOff) {
            return List.of(new VmEvent.StartRequested(meta,
                    ending == Ending.Failure ? StartReason.NodeLost : StartReason.RunStrategy));
        }
        return List.of();
    }

    static Duration since(Instant from, Instant to) {
        return from == null ? Duration.ZERO : Duration.between(from, to);
    }
}
