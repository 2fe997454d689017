package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VmEvent.*;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The life cycle of a VM under user commands: create, start, stop, pause, restart, update, delete. */
class VmDeciderTest {

    private final VmFixture f = new VmFixture();

    @Test
    void createRecordsWhoAskedAndWhen() {
        f.create(RunStrategy.Manual);
        VmCreated created = (VmCreated) f.log.get(0);
        assertEquals(VmFixture.USER, created.meta().principal());
        assertEquals("req-1", created.meta().requestId());
        assertEquals(f.now, created.meta().timestamp());
        assertTrue(f.state.exists());
        assertEquals(1, f.state.generation());
        assertEquals("1", f.state.resourceVersion());
        assertEquals(f.now, f.state.creationTimestamp());
    }

    @Test
    void duplicateCreateIsRejected() {
        f.create(RunStrategy.Manual);
        Rejection r = f.reject(f.createCommand(RunStrategy.Manual));
        assertEquals(Rejection.Code.AlreadyExists, r.code());
        assertEquals("metadata.name", r.field());
    }

    @Test
    void commandsToAMissingVmAreNotFound() {
        for (VmCommand c : List.of(f.start(), f.stop(), f.restart(), f.pause(), f.unpause(), f.delete())) {
            assertEquals(Rejection.Code.NotFound, f.reject(c).code(), c.toString());
        }
    }

    @Test
    void pauseRunningVmPausesItAndUnpauseResumesIt() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(Paused.class), types(f.run(f.pause())));
        assertEquals(Phase.Paused, f.state.phase());
        assertEquals(List.of(Unpaused.class), types(f.run(f.unpause())));
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void pauseStoppedVmIsRejectedWithReason() {
        f.create(RunStrategy.Manual);
        Rejection r = f.reject(f.pause());
        assertEquals(Rejection.Code.IllegalTransition, r.code());
        assertTrue(r.message().contains("Stopped") && r.message().contains("only a Running VM"), r.message());
    }

    @Test
    void unpauseRunningVmIsIdempotent() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(), f.run(f.unpause()));
    }

    @Test
    void pausePausedVmIsIdempotent() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.pause());
        assertEquals(List.of(), f.run(f.pause()));
    }

    @Test
    void unpauseStoppedVmIsRejectedWithReason() {
        f.create(RunStrategy.Manual);
        assertTrue(f.reject(f.unpause()).message().contains("only a Paused VM"));
    }

    @Test
    void startOnPausedVmIsRejectedSayingUnpause() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.pause());
        assertTrue(f.reject(f.start()).message().contains("unpause it instead"));
    }

    @Test
    void startOnStoppingVmIsRejected() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        assertEquals(Rejection.Code.IllegalTransition, f.reject(f.start()).code());
    }

    @Test
    void startStartingOrRunningVmIsIdempotent() {
        f.create(RunStrategy.Always);
        assertEquals(List.of(), f.run(f.start()));
        f.run(f.placed("node-a"));
        assertEquals(List.of(), f.run(f.start()));
        f.run(f.started());
        assertEquals(List.of(), f.run(f.start()));
    }

    @Test
    void stopStoppedManualVmIsIdempotent() {
        f.create(RunStrategy.Manual);
        assertEquals(List.of(), f.run(f.stop()));
    }

    @Test
    void stopRunningVmStopsItThenTheNodeReportEndsIt() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(StopRequested.class), types(f.run(f.stop())));
        assertEquals(Phase.Stopping, f.state.phase());
        assertEquals("node-a", f.state.node());
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Stopped, f.state.phase());
        assertNull(f.state.node());
    }

    @Test
    void forceStopOfStoppingVmEscalates() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        assertEquals(List.of(), f.run(f.stop()));
        List<VmEvent> events = f.run(f.forceStop());
        assertEquals(List.of(new StopRequested(events.get(0).meta(), true)), events);
    }

    @Test
    void stopWhileSchedulingWithdrawsThePlacementRequest() {
        f.create(RunStrategy.Manual);
        f.run(f.start());
        f.run(f.stop());
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void restartStopsThenStartsAgain() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        long incarnation = f.state.incarnation();
        assertEquals(List.of(RestartRequested.class), types(f.run(f.restart())));
        assertEquals(Phase.Stopping, f.state.phase());
        List<VmEvent> events = f.run(f.stopped("Shutdown"));
        assertEquals(List.of(DomainStopped.class, StartRequested.class), types(events));
        assertEquals(StartReason.Restart, ((StartRequested) events.get(1)).reason());
        assertEquals(Phase.Scheduling, f.state.phase());
        f.runOn("node-b");
        assertEquals(Phase.Running, f.state.phase());
        assertEquals(incarnation + 1, f.state.incarnation());
        assertEquals(RunStrategy.Manual, f.state.runStrategy());
    }

    @Test
    void restartOfStoppedVmIsRejected() {
        f.create(RunStrategy.Manual);
        assertTrue(f.reject(f.restart()).message().contains("only a Running or Paused VM"));
    }

    @Test
    void stopDuringRestartCancelsTheRestart() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.restart());
        f.run(f.stop());
        assertEquals(new Stage.Stopping("node-a"), f.state.stage(), "a stop cancels the restart");
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void deleteStoppedVmDeletesAtOnce() {
        f.create(RunStrategy.Manual);
        assertEquals(List.of(VmDeleted.class), types(f.run(f.delete())));
        assertFalse(f.state.exists());
        assertEquals(Rejection.Code.NotFound, f.reject(f.start()).code());
    }

    @Test
    void deleteRunningVmStopsThenDeletes() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals(List.of(DeleteRequested.class), types(f.run(f.delete())));
        assertEquals(Phase.Terminating, f.state.phase());
        assertTrue(f.state.exists());
        assertEquals(List.of(), f.run(f.delete()), "a second delete changes nothing");
        assertEquals(List.of(DomainStopped.class, VmDeleted.class), types(f.run(f.stopped("Shutdown"))));
        assertFalse(f.state.exists());
        assertNull(f.state.node());
    }

    @Test
    void commandsOtherThanDeleteAreRejectedWhileTerminating() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.delete());
        for (VmCommand c : List.of(f.start(), f.stop(), f.restart(), f.pause(), f.update(RunStrategy.Always))) {
            assertTrue(f.reject(c).message().contains("is being deleted"), c.toString());
        }
    }

    @Test
    void forcedStopFinishesADeleteWhoseGracefulStopHangs() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.delete());
        f.run(f.actionFailed("StopDomain"));
        f.run(new VmCommand.Stop(f.rid(), VmFixture.USER, true));
        assertEquals(List.of(new VmEffect.ToNode(new dev.vireo.protocol.node.NodeAgentCommand.StopDomain("node-a",
                VmFixture.ID, 1, true, 5, f.lastEvents.get(0).meta().requestId()))), f.lastEffects);
        f.run(f.report(new dev.vireo.protocol.node.NodeReport.DomainStopped(VmFixture.ID, "node-a", 1, "Destroyed")));
        assertEquals(false, f.state.exists());
    }

    @Test
    void recreateAfterDeleteContinuesTheLogWithNewUid() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        String firstUid = f.state.uid();
        long incarnation = f.state.incarnation();
        f.run(f.delete());
        f.run(f.stopped("Shutdown"));
        int before = f.log.size();
        f.create(RunStrategy.Always);
        assertTrue(f.log.get(before) instanceof VmCreated);
        assertNotEquals(firstUid, f.state.uid());
        assertEquals(f.log.size(), f.state.version(), "version counts the whole log");
        assertEquals(incarnation, f.state.incarnation(), "incarnation survives delete");
        assertEquals(Phase.Scheduling, f.state.phase());
        f.runOn("node-a");
        assertEquals(incarnation + 1, f.state.incarnation());
    }

    @Test
    void staleResourceVersionIsRejected() {
        f.create(RunStrategy.Manual);
        VirtualMachineSpec bigger = f.state.spec().withRunStrategy(RunStrategy.Manual);
        bigger = new VirtualMachineSpec(bigger.runStrategy(), new VirtualMachineSpec.Cpu(2), bigger.memory(),
                bigger.boot(), bigger.disks(), bigger.nodeSelector(), bigger.evictionStrategy(),
                bigger.terminationGracePeriodSeconds());
        Rejection r = f.reject(new VmCommand.UpdateSpec("r", "bob", f.state.labels(), bigger, "0"));
        assertEquals(Rejection.Code.StaleResourceVersion, r.code());
        assertEquals("metadata.resourceVersion", r.field());
        assertTrue(r.message().contains("read it again"), r.message());
    }

    @Test
    void updateWithCurrentResourceVersionBumpsGeneration() {
        f.create(RunStrategy.Manual);
        VirtualMachineSpec s = f.state.spec();
        VirtualMachineSpec bigger = new VirtualMachineSpec(s.runStrategy(), new VirtualMachineSpec.Cpu(2), "1Gi",
                s.boot(), s.disks(), s.nodeSelector(), s.evictionStrategy(), s.terminationGracePeriodSeconds());
        assertEquals(List.of(SpecUpdated.class), types(f.run(f.update(bigger))));
        assertEquals(2, f.state.generation());
        assertEquals(2, f.state.spec().cores());
    }

    @Test
    void updateWithoutResourceVersionIsAccepted() {
        f.create(RunStrategy.Manual);
        f.run(new VmCommand.UpdateSpec("r", "bob", java.util.Map.of("tier", "1"), f.state.spec(), null));
        assertEquals(java.util.Map.of("tier", "1"), f.state.labels());
    }

    @Test
    void updateWithTheSameSpecIsIdempotent() {
        f.create(RunStrategy.Manual);
        assertEquals(List.of(), f.run(f.update(f.state.spec())));
        assertEquals(1, f.state.generation());
    }

    @Test
    void updateOfRunStrategyAndSpecBumpsGenerationOnce() {
        f.create(RunStrategy.Manual);
        VirtualMachineSpec s = f.state.spec();
        VirtualMachineSpec changed = new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(4),
                s.memory(), s.boot(), s.disks(), s.nodeSelector(), s.evictionStrategy(),
                s.terminationGracePeriodSeconds());
        assertEquals(List.of(SpecUpdated.class, RunStrategyChanged.class), types(f.run(f.update(changed))));
        assertEquals(2, f.state.generation());
        assertEquals(changed, f.state.spec());
    }

    @Test
    void everyEventCountsTowardsTheVersion() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.stop());
        f.run(f.stopped("Shutdown"));
        assertEquals(f.log.size(), f.state.version());
    }

    @Test
    void rejectedCommandsChangeNothing() {
        f.create(RunStrategy.Manual);
        VmState before = f.state;
        f.reject(f.pause());
        f.reject(f.restart());
        assertEquals(before, f.state);
    }
}
