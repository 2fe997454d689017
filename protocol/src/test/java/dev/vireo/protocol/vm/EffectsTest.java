package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.ID;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vireo.protocol.node.NodeAgentCommand.*;
import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmEffect.*;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the entity must do once its events are persisted, and again after it recovered from its log. */
class EffectsTest {

    private static final long MI128 = 128L << 20;
    private static final VmDecider RECOVERY = new VmDecider(VmPolicy.DEFAULT);

    private static String rid(VmFixture f) {
        return f.lastEvents.get(f.lastEvents.size() - 1).meta().requestId();
    }

    @Test
    void startRequestedAsksTheSchedulerForTheNextIncarnation() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        assertEquals(List.of(new RequestPlacement(ID, 1, 1, MI128, Map.of(), List.of(), rid(f))), f.lastEffects);
    }

    @Test
    void scheduledStartsTheDomainOnTheChosenNode() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        f.run(f.placed("node-a"));
        assertEquals(List.of(new ToNode(new StartDomain("node-a", ID, f.state.uid(), 1, f.state.spec(), rid(f)))),
                f.lastEffects);
    }

    @Test
    void stopTellsTheNodeWithTheGracePeriod() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        assertEquals(List.of(new ToNode(new StopDomain("node-a", ID, 1, false, 5, rid(f)))), f.lastEffects);
        f.run(f.forceStop());
        assertEquals(List.of(new ToNode(new StopDomain("node-a", ID, 1, true, 5, rid(f)))), f.lastEffects);
    }

    @Test
    void stopBeforePlacementWithdrawsTheRequest() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        f.run(f.stop());
        assertEquals(List.of(new ReleasePlacement(ID, 1)), f.lastEffects);
    }

    @Test
    void deleteBeforePlacementWithdrawsTheRequestAndDeletesTheVmsFiles() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        String uid = f.state.uid();
        f.run(f.delete());
        assertEquals(List.of(new ReleasePlacement(ID, 1), new DeleteFilesOnNodes(ID, uid, rid(f))), f.lastEffects);
    }

    @Test
    void domainStoppedReleasesThePlacement() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        f.run(f.stopped("Shutdown"));
        assertEquals(List.of(new ReleasePlacement(ID, 1)), f.lastEffects);
    }

    @Test
    void guestShutdownOnAlwaysReleasesThenAsksForTheNextPlacement() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.stopped("Shutdown"));
        assertEquals(List.of(new ReleasePlacement(ID, 1), new RequestPlacement(ID, 2, 1, MI128, Map.of(), List.of(), rid(f))),
                f.lastEffects);
    }

    @Test
    void nodeLostReleasesThePlacementAndFencesTheLostDomain() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.loseNode());
        assertEquals(List.of(new ReleasePlacement(ID, 1), new ToNode(new RemoveDomain("node-a", ID, 1, rid(f)))),
                f.lastEffects);
    }

    @Test
    void nodeUnreachableAsksTheNodeWhatSurvivedOnceItAnswers() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(new VmCommand.NodeNotReady("r-nr", "node-a"));
        assertEquals(Phase.Unknown, f.state.phase());
        assertEquals(List.of(new ToNode(new EnsureDomain("node-a", ID, 1, "r-nr"))), f.lastEffects);
        f.run(new VmCommand.ReportFromNode("r-back", new NodeReport.DomainFound(ID, "node-a", 1, "uid", DomainState.Running)));
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void vmWhoseDomainDidNotSurviveTheOutageIsTreatedAsCrashed() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(new VmCommand.NodeNotReady("r-nr", "node-a"));
        f.run(new VmCommand.ReportFromNode("r-back", new NodeReport.DomainMissing(ID, "node-a", 1)));
        assertEquals(Phase.CrashLoopBackOff, f.state.phase());
    }

    @Test
    void pauseAndUnpauseTellTheNode() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.pause());
        assertEquals(List.of(new ToNode(new PauseDomain("node-a", ID, 1, rid(f)))), f.lastEffects);
        f.run(f.unpause());
        assertEquals(List.of(new ToNode(new ResumeDomain("node-a", ID, 1, rid(f)))), f.lastEffects);
    }

    @Test
    void restartAndDeleteStopTheDomain() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.restart());
        assertEquals(List.of(new ToNode(new StopDomain("node-a", ID, 1, false, 5, rid(f)))), f.lastEffects);
        VmFixture g = VmFixture.running(RunStrategy.Manual);
        g.run(g.delete());
        assertEquals(List.of(new ToNode(new StopDomain("node-a", ID, 1, false, 5, rid(g)))), g.lastEffects);
    }

    @Test
    void deleteWhileStoppingSendsNoSecondStop() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        f.run(f.delete());
        assertEquals(List.of(), f.lastEffects);
    }

    @Test
    void onRecoveryOfANeverCreatedVmDoesNothing() {
        assertEquals(List.of(), RECOVERY.onRecovery(VmState.empty(ID), "rec"));
    }

    @Test
    void onRecoveryOfAStoppedVmDoesNothing() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Manual);
        assertEquals(List.of(), RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryWhileSchedulingAsksAgain() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        assertEquals(List.of(new RequestPlacement(ID, 1, 1, MI128, Map.of(), List.of(), "rec")), RECOVERY.onRecovery(f.state, "rec"));
        f.run(f.placementFailed());
        assertEquals(List.of(new RequestPlacement(ID, 1, 1, MI128, Map.of(), List.of(), "rec")), RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryWhileStartingClaimsAndStartsAgain() {
        VmFixture f = new VmFixture();
        f.create(RunStrategy.Always);
        f.run(f.placed("node-a"));
        assertEquals(List.of(new ClaimPlacement(ID, "node-a", 1, 1, MI128),
                        new ToNode(new StartDomain("node-a", ID, f.state.uid(), 1, f.state.spec(), "rec"))),
                RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryWhileRunningOrPausedClaimsAndAsksTheNode() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<VmEffect> expected = List.of(new ClaimPlacement(ID, "node-a", 1, 1, MI128),
                new ToNode(new EnsureDomain("node-a", ID, 1, "rec")));
        assertEquals(expected, RECOVERY.onRecovery(f.state, "rec"));
        f.run(f.pause());
        assertEquals(expected, RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryWhileStoppingOrTerminatingStopsAgain() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        List<VmEffect> expected = List.of(new ClaimPlacement(ID, "node-a", 1, 1, MI128),
                new ToNode(new StopDomain("node-a", ID, 1, false, 5, "rec")));
        assertEquals(expected, RECOVERY.onRecovery(f.state, "rec"));
        f.run(f.delete());
        assertEquals(Phase.Terminating, f.state.phase());
        assertEquals(expected, RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryInBackOffSetsTheTimerAgain() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        assertEquals(List.of(new WakeAt(f.state.restartAt())), RECOVERY.onRecovery(f.state, "rec"));
    }

    @Test
    void onRecoveryOfAFailedOrDeletedVmDoesNothing() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.crashed());
        assertEquals(List.of(), RECOVERY.onRecovery(f.state, "rec"));
        f.run(f.delete());
        assertEquals(List.of(), RECOVERY.onRecovery(f.state, "rec"));
    }
}
