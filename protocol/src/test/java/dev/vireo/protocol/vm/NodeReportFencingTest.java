package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.ID;
import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmEvent.*;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Scheduler answers and node reports: only the current placement counts; anything else is recorded and fenced. */
class NodeReportFencingTest {

    @Test
    void placementStartsTheDomainOnThatNode() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        assertEquals(List.of(Scheduled.class), types(f.run(f.placed("node-a"))));
        assertEquals(Phase.Starting, f.state.phase());
        assertEquals("node-a", f.state.node());
        assertEquals(1, f.state.incarnation());
        assertEquals(List.of(DomainStarted.class), types(f.run(f.started())));
        assertEquals(Phase.Running, f.state.phase());
        assertEquals(f.now, f.state.runningSince());
    }

    @Test
    void placementFailureMakesTheVmUnschedulableUntilANodeIsFound() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        assertEquals(List.of(Unschedulable.class), types(f.run(f.placementFailed())));
        assertEquals(Phase.ErrorUnschedulable, f.state.phase());
        assertEquals(List.of(), f.run(f.placementFailed()), "a repeated failure is no news");
        f.run(f.placed("node-b"));
        assertEquals(Phase.Starting, f.state.phase());
    }

    @Test
    void duplicatePlacementIsIdempotent() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        f.run(f.placed("node-a"));
        assertEquals(List.of(), f.run(new VmCommand.PlacementSucceeded("r", "node-a", 1)));
    }

    @Test
    void placementNoLongerWantedIsRecordedAndReleased() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        f.run(f.start());
        f.run(f.stop());
        List<VmEvent> events = f.run(new VmCommand.PlacementSucceeded("r", "node-a", 1));
        assertEquals(List.of(StaleReportIgnored.class), types(events));
        assertEquals(List.of(new VmEffect.ReleasePlacement(ID, 1)), f.lastEffects);
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void withdrawnPlacementIsNeverTakenForALaterOne() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        f.run(f.start());
        long requested = ((VmEffect.RequestPlacement) f.lastEffects.get(0)).incarnation();
        f.run(f.stop());
        f.run(f.start());
        long again = ((VmEffect.RequestPlacement) f.lastEffects.get(0)).incarnation();
        assertTrue(again > requested, "a new request needs a new fencing token");
        // the scheduler's answer to the withdrawn request arrives late
        List<VmEvent> events = f.run(new VmCommand.PlacementSucceeded("r", "node-a", requested));
        assertEquals(List.of(StaleReportIgnored.class), types(events));
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    /**
     * Found by the generated sequences: a start sent again on recovery may reach the node after the first one
     * failed, and succeed. The failed placement is removed from its node at once, before the VM is placed anew.
     */
    @Test
    void failedStartRemovesWhateverDomainALaterDuplicateStartMade() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        f.run(f.start());
        f.run(f.placed("node-a"));
        long failed = f.state.incarnation();
        f.run(f.report(new NodeReport.ActionFailed(ID, "node-a", failed, dev.vireo.protocol.node.NodeAction.StartDomain,
                "no such image")));
        assertEquals(Phase.Failed, f.state.phase());
        assertTrue(f.lastEffects.contains(new VmEffect.ToNode(new NodeAgentCommand.RemoveDomain("node-a", ID, failed,
                f.lastEvents.get(0).meta().requestId()))), "the failed placement is fenced: " + f.lastEffects);
    }

    @Test
    void staleNodeReportIsRecordedAndIgnored() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        VmState before = f.state;
        List<VmEvent> events = f.run(f.report(new NodeReport.DomainCrashed(ID, "node-a", 0, "old")));
        StaleReportIgnored stale = (StaleReportIgnored) events.get(0);
        assertEquals(1, events.size());
        assertEquals(0, stale.incarnation());
        assertEquals(1, stale.currentIncarnation());
        assertEquals("DomainCrashed", stale.report());
        assertEquals(EventMeta.node("node-a"), stale.meta().principal());
        assertEquals(List.of(), f.lastEffects);
        assertEquals(before.phase(), f.state.phase());
        assertEquals(before.node(), f.state.node());
    }

    @Test
    void reportFromAnotherNodeWithTheCurrentIncarnationIsStale() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<VmEvent> events = f.run(f.report(new NodeReport.DomainStopped(ID, "node-x", 1, "Shutdown")));
        assertEquals(List.of(StaleReportIgnored.class), types(events));
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void staleDomainStartedIsFencedWithRemoveDomain() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.loseNode());
        f.runOn("node-b");
        // node-a comes back and says its old domain runs
        f.run(f.report(new NodeReport.DomainStarted(ID, "node-a", 1)));
        assertEquals(List.of(new VmEffect.ToNode(new NodeAgentCommand.RemoveDomain("node-a", ID, 1,
                f.lastEvents.get(0).meta().requestId()))), f.lastEffects);
        assertEquals("node-b", f.state.node());
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void staleDomainFoundRunningIsFencedWithRemoveDomain() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.report(new NodeReport.DomainFound(ID, "node-z", 7, "old-uid", DomainState.Running)));
        assertTrue(f.lastEffects.get(0) instanceof VmEffect.ToNode t
                && t.command() instanceof NodeAgentCommand.RemoveDomain r
                && r.node().equals("node-z") && r.incarnation() == 7);
    }

    @Test
    void reportAboutADeletedVmIsRecordedAndIgnored() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.delete());
        f.run(f.stopped("Shutdown"));
        StaleReportIgnored stale = (StaleReportIgnored) f.run(f.report(
                new NodeReport.DomainCrashed(ID, "node-a", 1, "late"))).get(0);
        assertEquals("the VM does not exist", stale.detail());
    }

    @Test
    void domainStartedTwiceIsIdempotent() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals(List.of(), f.run(f.started()));
    }

    @Test
    void domainStartedWhileStoppingIsIgnored() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        f.run(f.start());
        f.run(f.placed("node-a"));
        f.run(f.stop());
        assertEquals(List.of(), f.run(f.started()));
        assertEquals(Phase.Stopping, f.state.phase());
    }

    @Test
    void pauseSeenByTheNodeIsRecordedAsReportedByNode() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.report(new NodeReport.DomainPaused(ID, "node-a", 1)));
        assertEquals(Phase.Paused, f.state.phase());
        assertEquals(List.of(), f.lastEffects, "nothing to tell the node: it paused by itself");
        f.run(f.report(new NodeReport.DomainResumed(ID, "node-a", 1)));
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void domainFoundRunningAfterRecoveryConfirmsAStartingVm() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        f.run(f.placed("node-a"));
        assertEquals(List.of(DomainStarted.class), types(f.run(f.found("Running"))));
    }

    @Test
    void domainFoundShutOffWhileRunningIsACrash() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.found("Stopped"));
        assertEquals(Phase.Failed, f.state.phase());
    }

    @Test
    void domainFoundShutOffWhileStoppingEndsTheStop() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        f.run(f.found("Stopped"));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void domainMissingWhileRunningIsACrash() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.missing());
        assertEquals(Phase.CrashLoopBackOff, f.state.phase());
    }

    @Test
    void domainMissingWhileStoppingEndsTheStop() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        DomainStopped stopped = (DomainStopped) f.run(f.missing()).get(0);
        assertEquals("NotFound", stopped.reason());
    }

    @Test
    void crashWhileStoppingEndsTheStopWithoutRestart() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.stop());
        List<VmEvent> events = f.run(f.crashed());
        assertEquals(List.of(DomainCrashed.class), types(events));
        assertEquals(false, ((DomainCrashed) events.get(0)).restart());
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void failedStartIsACrash() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        f.run(f.start());
        f.run(f.placed("node-a"));
        DomainCrashed crash = (DomainCrashed) f.run(f.actionFailed("StartDomain")).get(0);
        assertTrue(crash.reason().startsWith("start failed"));
        assertEquals(Phase.Failed, f.state.phase());
    }

    @Test
    void otherFailedActionsAreRecordedAsFailure() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        assertEquals(List.of(NodeActionFailed.class), types(f.run(f.actionFailed("StopDomain"))));
        assertEquals(Phase.Stopping, f.state.phase());
        assertEquals("StopDomain failed on node node-a: libvirt said no", f.state.failureReason());
    }

    @Test
    void failedPauseLeavesTheVmRunning() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.pause());
        assertEquals(List.of(NodeActionFailed.class, VmEvent.Unpaused.class), types(f.run(f.actionFailed("PauseDomain"))));
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void failedResumeLeavesTheVmPaused() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.pause());
        f.run(f.unpause());
        assertEquals(List.of(NodeActionFailed.class, VmEvent.Paused.class), types(f.run(f.actionFailed("ResumeDomain"))));
        assertEquals(Phase.Paused, f.state.phase());
        assertEquals(List.of(), f.lastEffects); // reported by the node: nothing to tell it
    }
}
