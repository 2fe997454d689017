package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.node.NodeReport.*;
import dev.vireo.protocol.vm.VmDecider.Ending;
import java.util.ArrayList;
import java.util.List;

/**
 * What a node's report about a domain means for the VM. Reports of any placement but the current one
 * are fenced off: recorded as {@link VmEvent.StaleReportIgnored} and otherwise ignored.
 */
final class NodeReports {

    private final VmState state;
    private final EventMeta meta;
    private final VmPolicy policy;

    NodeReports(VmState state, EventMeta meta, VmPolicy policy) {
        this.state = state;
        this.meta = meta;
        this.policy = policy;
    }

    Decision decide(NodeReport report) {
        if (!isCurrent(report)) {
            return stale(report);
        }
        Phase phase = state.phase();
        if (report instanceof DomainStarted r) {
            if (phase == Phase.Unknown) {
                return Decision.accept(new VmEvent.NodeReachable(meta, r.node(), r.incarnation(), "Running"));
            }
            return phase == Phase.Starting
                    ? Decision.accept(new VmEvent.DomainStarted(meta, r.node(), r.incarnation()))
                    : Decision.unchanged();
        }
        if (report instanceof DomainFound r) {
            return found(r);
        }
        if (report instanceof DomainMissing r) {
            return switch (phase) {
                case Stopping, Terminating -> stopped(r.node(), r.incarnation(), "NotFound");
                case Running, Paused, Unknown -> crashed(r.node(), r.incarnation(), "domain not found on node " + r.node());
                default -> Decision.unchanged();
            };
        }
        if (report instanceof DomainStopped r) {
            return stopped(r.node(), r.incarnation(), r.reason());
        }
        if (report instanceof DomainCrashed r) {
            return crashed(r.node(), r.incarnation(), r.reason());
        }
        if (report instanceof DomainPaused) {
            return phase == Phase.Running ? Decision.accept(new VmEvent.Paused(meta, true)) : Decision.unchanged();
        }
        if (report instanceof DomainResumed) {
            return phase == Phase.Paused ? Decision.accept(new VmEvent.Unpaused(meta, true)) : Decision.unchanged();
        }
        if (report instanceof ActionFailed r) {
            if (r.action().equals("StartDomain") && phase == Phase.Starting) {
                return crashed(r.node(), r.incarnation(), "start failed: " + r.message());
            }
            VmEvent failed = new VmEvent.NodeActionFailed(meta, r.node(), r.incarnation(), r.action(), r.message());
            // the domain kept running (or paused): the VM says what the domain does
            if (r.action().equals("PauseDomain") && phase == Phase.Paused) {
                return Decision.accept(failed, new VmEvent.Unpaused(meta, true));
            }
            if (r.action().equals("ResumeDomain") && phase == Phase.Running) {
                return Decision.accept(failed, new VmEvent.Paused(meta, true));
            }
            return Decision.accept(failed);
        }
        throw new IllegalArgumentException("unknown report " + report.getClass().getName());
    }

    private boolean isCurrent(NodeReport report) {
        return state.exists() && state.node() != null && state.node().equals(report.node())
                && state.incarnation() == report.incarnation();
    }

    private Decision stale(NodeReport report) {
        String kind = report.getClass().getSimpleName();
        if (report instanceof DomainFound f) {
            kind += "(" + f.state() + ")";
        }
        return Decision.accept(new VmEvent.StaleReportIgnored(meta, report.node(), report.incarnation(),
                state.incarnation(), kind, state.exists()
                ? "the VM's current placement is incarnation " + state.incarnation() + " on "
                        + (state.node() == null ? "no node" : "node " + state.node())
                : "the VM does not exist"));
    }

    private Decision found(DomainFound r) {
        Phase phase = state.phase();
        boolean running = r.state().equals("Running") || r.state().equals("Paused");
        if (running) {
            if (phase == Phase.Starting) {
                return Decision.accept(new VmEvent.DomainStarted(meta, r.node(), r.incarnation()));
            }
            if (phase == Phase.Unknown) {
                return Decision.accept(new VmEvent.NodeReachable(meta, r.node(), r.incarnation(), r.state()));
            }
            return Decision.unchanged();
        }
        return switch (phase) {
            case Stopping, Terminating -> stopped(r.node(), r.incarnation(), "Shutdown");
            case Running, Paused, Unknown -> crashed(r.node(), r.incarnation(), "domain found shut off on node " + r.node());
            default -> Decision.unchanged();
        };
    }

    private Decision stopped(String node, long incarnation, String reason) {
        Phase phase = state.phase();
        List<VmEvent> events = new ArrayList<>();
        events.add(new VmEvent.DomainStopped(meta, node, incarnation, reason));
        VmState after = state.apply(events.get(0));
        boolean requested = phase == Phase.Stopping || phase == Phase.Terminating;
        events.addAll(VmDecider.afterDomainGone(after, meta, requested ? Ending.Requested : Ending.Success));
        return Decision.accept(events);
    }

    private Decision crashed(String node, long incarnation, String reason) {
        Phase phase = state.phase();
        if (phase == Phase.Stopping || phase == Phase.Terminating) {
            // it was going down anyway: record the crash, then finish the stop
            List<VmEvent> events = new ArrayList<>();
            events.add(new VmEvent.DomainCrashed(meta, node, incarnation, reason, state.crashCount(), false, 0));
            events.addAll(VmDecider.afterDomainGone(state.apply(events.get(0)), meta, Ending.Requested));
            return Decision.accept(events);
        }
        boolean stable = state.runningSince() != null
                && VmDecider.since(state.runningSince(), meta.timestamp()).compareTo(policy.stableRun()) >= 0;
        int crashes = stable ? 1 : state.crashCount() + 1;
        RunStrategy strategy = state.runStrategy();
        boolean restart = strategy == RunStrategy.Always || strategy == RunStrategy.RerunOnFailure;
        long backoff = restart ? policy.backoffSeconds(crashes) : 0;
        return Decision.accept(new VmEvent.DomainCrashed(meta, node, incarnation, reason, crashes, restart, backoff));
    }
}
