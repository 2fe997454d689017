package dev.vireo.protocol.vm;

import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.vm.VmEffect.*;
import dev.vireo.protocol.vm.VmEvent.*;
import java.util.ArrayList;
import java.util.List;

/** The side effects that follow from persisted events, and those that resume a VM's work after recovery. */
public final class Effects {

    private Effects() {
    }

    /** Effects of {@code events}, applied in order starting from {@code before}. */
    public static List<VmEffect> of(VmState before, List<VmEvent> events) {
        List<VmEffect> effects = new ArrayList<>();
        VmState state = before;
        for (VmEvent event : events) {
            VmState after = state.apply(event);
            effects.addAll(of(state, event, after));
            state = after;
        }
        return effects;
    }

    static List<VmEffect> of(VmState before, VmEvent event, VmState after) {
        VmId vm = before.id();
        String rid = event.meta().requestId();
        if (event instanceof StartRequested) {
            return List.of(requestPlacement(after, rid));
        }
        if (event instanceof Scheduled e) {
            return List.of(new ToNode(new NodeAgentCommand.StartDomain(e.node(), vm, after.uid(), e.incarnation(),
                    after.spec(), rid)));
        }
        if (event instanceof StopRequested e) {
            if (before.node() != null) {
                return List.of(stopDomain(before, e.force(), rid));
            }
            return withdrawPlacement(before);
        }
        if (event instanceof RestartRequested || (event instanceof DeleteRequested && before.phase() != Phase.Stopping)) {
            return List.of(stopDomain(before, false, rid));
        }
        if (event instanceof VmDeleted e) {
            List<VmEffect> effects = new ArrayList<>(withdrawPlacement(before));
            effects.add(new DeleteFilesOnNodes(vm, e.uid(), rid));
            return effects;
        }
        if (event instanceof Paused e && !e.reportedByNode()) {
            return List.of(new ToNode(new NodeAgentCommand.PauseDomain(before.node(), vm, before.incarnation(), rid)));
        }
        if (event instanceof Unpaused e && !e.reportedByNode()) {
            return List.of(new ToNode(new NodeAgentCommand.ResumeDomain(before.node(), vm, before.incarnation(), rid)));
        }
        if (event instanceof DomainStopped) {
            return List.of(new ReleasePlacement(vm, before.incarnation()));
        }
        if (event instanceof NodeLost e) {
            // fencing: should the lost node come back with the domain, it must not run beside the next one
            return List.of(new ReleasePlacement(vm, before.incarnation()),
                    new ToNode(new NodeAgentCommand.RemoveDomain(e.node(), vm, e.incarnation(), rid)));
        }
        if (event instanceof DomainCrashed e) {
            List<VmEffect> effects = new ArrayList<>();
            effects.add(new ReleasePlacement(vm, before.incarnation()));
            if (after.phase() == Phase.CrashLoopBackOff) {
                effects.add(new WakeAt(after.restartAt()));
            }
            return effects;
        }
        if (event instanceof NodeUnreachable e) {
            // answered once the node reaches its hypervisor again: the VM learns what survived
            return List.of(new ToNode(new NodeAgentCommand.EnsureDomain(e.node(), vm, e.incarnation(), rid)));
        }
        if (event instanceof StaleReportIgnored e) {
            if (e.report().equals("Placed")) {
                return List.of(new ReleasePlacement(vm, e.incarnation()));
            }
            if (e.report().startsWith("DomainStarted") || e.report().startsWith("DomainFound")) {
                // fencing: a domain of a placement that is not the current one must not run
                return List.of(new ToNode(new NodeAgentCommand.RemoveDomain(e.node(), vm, e.incarnation(), rid)));
            }
        }
        return List.of();
    }

    /** What a VM recovered from its log must do again: its pending requests and claims may have been lost. */
    public static List<VmEffect> onRecovery(VmState state, String requestId) {
        if (!state.exists() && state.node() == null) {
            return List.of();
        }
        VmId vm = state.id();
        List<VmEffect> effects = new ArrayList<>();
        if (state.node() != null) {
            effects.add(new ClaimPlacement(vm, state.node(), state.incarnation(), state.spec().cores(),
                    state.spec().memoryBytes()));
        }
        switch (state.phase()) {
            case Scheduling, ErrorUnschedulable -> effects.add(requestPlacement(state, requestId));
            case Starting -> effects.add(new ToNode(new NodeAgentCommand.StartDomain(state.node(), vm, state.uid(),
                    state.incarnation(), state.spec(), requestId)));
            case Running, Paused, Unknown -> effects.add(new ToNode(new NodeAgentCommand.EnsureDomain(state.node(), vm,
                    state.incarnation(), requestId)));
            case Stopping, Terminating -> effects.add(stopDomain(state, false, requestId));
            case CrashLoopBackOff -> effects.add(new WakeAt(state.restartAt()));
            default -> {
            }
        }
        return effects;
    }

    private static RequestPlacement requestPlacement(VmState state, String requestId) {
        VirtualMachineSpec spec = state.spec();
        return new RequestPlacement(state.id(), state.incarnation() + 1, spec.cores(), spec.memoryBytes(),
                spec.nodeSelector(), spec.imageFiles(), requestId);
    }

    private static List<VmEffect> withdrawPlacement(VmState before) {
        return before.phase().isWaitingForPlacement()
                ? List.of(new ReleasePlacement(before.id(), before.incarnation() + 1))
                : List.of();
    }

    private static ToNode stopDomain(VmState state, boolean force, String requestId) {
        return new ToNode(new NodeAgentCommand.StopDomain(state.node(), state.id(), state.incarnation(), force,
                state.spec().gracePeriodSeconds(), requestId));
    }
}
