package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.vireo.protocol.vm.VmEvent.*;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** KubeVirt's runStrategy rules: what runs on create, after a stop or a crash, and what start/stop switch. */
class RunStrategyTest {

    private final VmFixture f = new VmFixture();

    @Test
    void createWithAlwaysRequestsStart() {
        assertEquals(List.of(VmCreated.class, StartRequested.class), types(f.create(RunStrategy.Always)));
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    @ParameterizedTest
    @EnumSource(value = RunStrategy.class, names = {"RerunOnFailure", "Once"})
    void createWithRerunOnFailureOrOnceRequestsStart(RunStrategy strategy) {
        assertEquals(List.of(VmCreated.class, StartRequested.class), types(f.create(strategy)));
    }

    @Test
    void createWithManualStaysStopped() {
        assertEquals(List.of(VmCreated.class), types(f.create(RunStrategy.Manual)));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void createWithHaltedStaysStopped() {
        assertEquals(List.of(VmCreated.class), types(f.create(RunStrategy.Halted)));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void stopOnAlwaysSwitchesToHalted() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<VmEvent> events = f.run(f.stop());
        assertEquals(List.of(RunStrategyChanged.class, StopRequested.class), types(events));
        assertEquals(RunStrategy.Halted, f.state.runStrategy());
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Stopped, f.state.phase(), "a requested stop is not restarted");
    }

    @Test
    void stopOnRerunOnFailureSwitchesToHalted() {
        VmFixture f = VmFixture.running(RunStrategy.RerunOnFailure);
        f.run(f.stop());
        assertEquals(RunStrategy.Halted, f.state.runStrategy());
    }

    @Test
    void stopOnManualKeepsManual() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(StopRequested.class), types(f.run(f.stop())));
        assertEquals(RunStrategy.Manual, f.state.runStrategy());
    }

    @Test
    void startOnHaltedSwitchesToAlways() {
        f.create(RunStrategy.Halted);
        assertEquals(List.of(RunStrategyChanged.class, StartRequested.class), types(f.run(f.start())));
        assertEquals(RunStrategy.Always, f.state.runStrategy());
        assertEquals(2, f.state.generation(), "the runStrategy is spec: a new generation");
    }

    @Test
    void startOnManualKeepsManual() {
        f.create(RunStrategy.Manual);
        assertEquals(List.of(StartRequested.class), types(f.run(f.start())));
        assertEquals(RunStrategy.Manual, f.state.runStrategy());
    }

    @Test
    void guestShutdownOnAlwaysRestarts() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<VmEvent> events = f.run(f.stopped("Shutdown"));
        assertEquals(List.of(DomainStopped.class, StartRequested.class), types(events));
        assertEquals(StartReason.RunStrategy, ((StartRequested) events.get(1)).reason());
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    @Test
    void guestShutdownOnRerunOnFailureStaysStopped() {
        VmFixture f = VmFixture.running(RunStrategy.RerunOnFailure);
        assertEquals(List.of(DomainStopped.class), types(f.run(f.stopped("Shutdown"))));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @ParameterizedTest
    @EnumSource(value = RunStrategy.class, names = {"Once", "Manual"})
    void guestShutdownOnOnceOrManualStaysStopped(RunStrategy strategy) {
        VmFixture f = VmFixture.running(strategy);
        assertEquals(List.of(DomainStopped.class), types(f.run(f.stopped("Shutdown"))));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void crashOnRerunOnFailureRestartsAfterBackOff() {
        VmFixture f = VmFixture.running(RunStrategy.RerunOnFailure);
        f.run(f.crashed());
        assertEquals(Phase.CrashLoopBackOff, f.state.phase());
    }

    @Test
    void crashOnManualFails() {
        crashFails(RunStrategy.Manual);
    }

    @Test
    void crashOnOnceFails() {
        crashFails(RunStrategy.Once);
    }

    private static void crashFails(RunStrategy strategy) {
        VmFixture f = VmFixture.running(strategy);
        DomainCrashed crash = (DomainCrashed) f.run(f.crashed()).get(0);
        assertEquals(false, crash.restart());
        assertEquals(Phase.Failed, f.state.phase());
        assertEquals("qemu died", f.state.failureReason());
    }

    @Test
    void changingToHaltedStopsARunningVm() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(RunStrategyChanged.class, StopRequested.class),
                types(f.run(f.update(RunStrategy.Halted))));
        assertEquals(Phase.Stopping, f.state.phase());
    }

    @Test
    void changingToHaltedWhileSchedulingStopsAtOnce() {
        f.create(RunStrategy.Always);
        f.run(f.update(RunStrategy.Halted));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void changingToHaltedDuringRestartCancelsTheRestart() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.restart());
        f.run(f.update(RunStrategy.Halted));
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @ParameterizedTest
    @EnumSource(value = RunStrategy.class, names = {"Always", "RerunOnFailure"})
    void changingAStoppedVmToAlwaysOrRerunOnFailureStartsIt(RunStrategy strategy) {
        f.create(RunStrategy.Manual);
        assertEquals(List.of(RunStrategyChanged.class, StartRequested.class), types(f.run(f.update(strategy))));
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    @Test
    void changingAFailedVmToAlwaysStartsIt() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.crashed());
        f.run(f.update(RunStrategy.Always));
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    @ParameterizedTest
    @EnumSource(value = RunStrategy.class, names = {"Once", "Manual"})
    void changingAStoppedVmToOnceOrManualLeavesItStopped(RunStrategy strategy) {
        f.create(RunStrategy.Halted);
        assertEquals(List.of(RunStrategyChanged.class), types(f.run(f.update(strategy))));
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void changingToAlwaysWhileStoppingRunsTheVmAgainOnceStopped() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        f.run(f.stop());
        f.run(f.update(RunStrategy.Always));
        f.run(f.stopped("Shutdown"));
        assertEquals(Phase.Scheduling, f.state.phase(), "Always means: keep it running");
    }

    @Test
    void nodeLostRestartsAlwaysVmElsewhere() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<VmEvent> events = f.run(f.loseNode());
        assertEquals(List.of(NodeLost.class, StartRequested.class), types(events));
        assertEquals(StartReason.NodeLost, ((StartRequested) events.get(1)).reason());
        f.runOn("node-b");
        assertEquals("node-b", f.state.node());
    }

    @Test
    void nodeLostFailsManualVm() {
        VmFixture f = VmFixture.running(RunStrategy.Manual);
        assertEquals(List.of(NodeLost.class), types(f.run(f.loseNode())));
        assertEquals(Phase.Failed, f.state.phase());
        assertEquals("node node-a was lost", f.state.failureReason());
    }

    @Test
    void nodeLostWhileStoppingFinishesTheStop() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.stop());
        f.run(f.loseNode());
        assertEquals(Phase.Stopped, f.state.phase());
    }

    @Test
    void nodeLostWhileTerminatingFinishesTheDelete() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.delete());
        assertEquals(List.of(NodeLost.class, VmDeleted.class), types(f.run(f.loseNode())));
    }

    @Test
    void lossOfAnotherNodeChangesNothing() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals(List.of(), f.run(new VmCommand.LoseNode("r", "node-z")));
    }
}
