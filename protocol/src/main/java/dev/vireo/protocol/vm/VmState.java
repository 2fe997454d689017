package dev.vireo.protocol.vm;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.VmEvent.*;
import java.time.Instant;
import java.util.Map;

/**
 * A VM as its event log says it is. Immutable; {@link #apply} is the only way it changes.
 * {@code version} counts the events applied, so it equals the log's last sequence number and serves as
 * the resourceVersion. {@code incarnation} only grows, also across delete and re-create, so that a
 * report of an old placement can never be taken for a current one.
 */
public record VmState(
        VmId id,
        boolean exists,
        String uid,
        Map<String, String> labels,
        VirtualMachineSpec spec,
        long generation,
        Instant creationTimestamp,
        Phase phase,
        String node,
        long incarnation,
        int crashCount,
        Instant runningSince,
        Instant restartAt,
        boolean restartPending,
        boolean deleting,
        String failureReason,
        Instant lastTransitionTime,
        long version) implements CborSerializable {

    public static VmState empty(VmId id) {
        return new VmState(id, false, null, Map.of(), null, 0, null, Phase.Stopped, null, 0, 0, null, null,
                false, false, null, null, 0);
    }

    public String resourceVersion() {
        return Long.toString(version);
    }

    public RunStrategy runStrategy() {
        return spec == null ? RunStrategy.Halted : spec.runStrategy();
    }

    public VmState apply(VmEvent event) {
        Instant at = event.meta().timestamp();
        VmState s = next(event, at);
        Instant transition = s.phase != phase ? at : lastTransitionTime;
        return new VmState(s.id, s.exists, s.uid, s.labels, s.spec, s.generation, s.creationTimestamp, s.phase,
                s.node, s.incarnation, s.crashCount, s.runningSince, s.restartAt, s.restartPending, s.deleting,
                s.failureReason, transition, version + 1);
    }

    private VmState next(VmEvent event, Instant at) {
        if (event instanceof VmCreated e) {
            return new VmState(id, true, e.uid(), Map.copyOf(e.labels()), e.spec(), 1, at, Phase.Stopped, null,
                    incarnation, 0, null, null, false, false, null, lastTransitionTime, version);
        } else if (event instanceof SpecUpdated e) {
            return withSpec(Map.copyOf(e.labels()), e.spec(), generation + 1);
        } else if (event instanceof RunStrategyChanged e) {
            return spec.runStrategy() == e.to() ? this : withSpec(labels, spec.withRunStrategy(e.to()), generation + 1);
        } else if (event instanceof StartRequested e) {
            int crashes = e.reason() == StartReason.Requested ? 0 : crashCount;
            return with(Phase.Scheduling, null, incarnation, crashes, null, null, false, null);
        } else if (event instanceof Scheduled e) {
            return with(Phase.Starting, e.node(), e.incarnation(), crashCount, null, null, false, null);
        } else if (event instanceof Unschedulable e) {
            return with(Phase.ErrorUnschedulable, null, incarnation, crashCount, null, null, false, e.reason());
        } else if (event instanceof DomainStarted e) {
            return with(Phase.Running, node, incarnation, crashCount, at, null, restartPending, null);
        } else if (event instanceof StopRequested e) {
            Phase phaseNow = node == null ? Phase.Stopped : (deleting ? Phase.Terminating : Phase.Stopping);
            return with(phaseNow, node, withdrawn(), crashCount, runningSince, null, false, failureReason);
        } else if (event instanceof DomainStopped e) {
            return afterDomainEnded(null);
        } else if (event instanceof DomainCrashed e) {
            if (phase == Phase.Stopping || phase == Phase.Terminating) {
                return afterDomainEnded(null);
            }
            return e.restart()
                    ? with(Phase.CrashLoopBackOff, null, incarnation, e.crashCount(), null,
                            at.plusSeconds(e.backoffSeconds()), false, e.reason())
                    : with(Phase.Failed, null, incarnation, e.crashCount(), null, null, false, e.reason());
        } else if (event instanceof Paused e) {
            return with(Phase.Paused, node, incarnation, crashCount, runningSince, null, false, failureReason);
        } else if (event instanceof Unpaused e) {
            return with(Phase.Running, node, incarnation, crashCount, runningSince, null, false, failureReason);
        } else if (event instanceof RestartRequested e) {
            return with(Phase.Stopping, node, incarnation, crashCount, runningSince, null, true, failureReason);
        } else if (event instanceof NodeLost e) {
            if (phase == Phase.Stopping || phase == Phase.Terminating) {
                return afterDomainEnded(null);
            }
            return with(Phase.Failed, null, incarnation, crashCount, null, null, false,
                    "node " + e.node() + " was lost");
        } else if (event instanceof DeleteRequested e) {
            VmState s = with(Phase.Terminating, node, incarnation, crashCount, runningSince, null, false, failureReason);
            return new VmState(s.id, s.exists, s.uid, s.labels, s.spec, s.generation, s.creationTimestamp, s.phase,
                    s.node, s.incarnation, s.crashCount, s.runningSince, s.restartAt, s.restartPending, true,
                    s.failureReason, s.lastTransitionTime, s.version);
        } else if (event instanceof VmDeleted e) {
            return new VmState(id, false, null, Map.of(), null, generation, null, Phase.Stopped, null, withdrawn(),
                    0, null, null, false, false, null, lastTransitionTime, version);
        } else if (event instanceof NodeActionFailed e) {
            return with(phase, node, incarnation, crashCount, runningSince, restartAt, restartPending,
                    e.action() + " failed on node " + e.node() + ": " + e.message());
        } else if (event instanceof NodeUnreachable e) {
            return with(Phase.Unknown, node, incarnation, crashCount, runningSince, null, restartPending,
                    "node " + e.node() + " cannot reach its hypervisor");
        } else if (event instanceof NodeReachable e) {
            return with("Paused".equals(e.domainState()) ? Phase.Paused : Phase.Running, node, incarnation, crashCount,
                    runningSince == null ? at : runningSince, null, restartPending, null);
        } else if (event instanceof StaleReportIgnored) {
            return this;
        }
        throw new IllegalArgumentException("unknown event " + event.getClass().getName());
    }

    /**
     * The incarnation once a pending placement request is withdrawn: the request used up {@code incarnation + 1},
     * so that a late answer to it is never taken for the answer to a later request.
     */
    private long withdrawn() {
        return phase.isWaitingForPlacement() ? incarnation + 1 : incarnation;
    }

    /** The domain is gone: Stopped, keeping a pending delete or restart for the decider to finish. */
    private VmState afterDomainEnded(String failure) {
        return with(Phase.Stopped, null, incarnation, crashCount, null, null, restartPending, failure);
    }

    private VmState with(Phase phase, String node, long incarnation, int crashCount, Instant runningSince,
                         Instant restartAt, boolean restartPending, String failureReason) {
        return new VmState(id, exists, uid, labels, spec, generation, creationTimestamp, phase, node, incarnation,
                crashCount, runningSince, restartAt, restartPending, deleting, failureReason, lastTransitionTime,
                version);
    }

    private VmState withSpec(Map<String, String> labels, VirtualMachineSpec spec, long generation) {
        return new VmState(id, exists, uid, labels, spec, generation, creationTimestamp, phase, node, incarnation,
                crashCount, runningSince, restartAt, restartPending, deleting, failureReason, lastTransitionTime,
                version);
    }
}
