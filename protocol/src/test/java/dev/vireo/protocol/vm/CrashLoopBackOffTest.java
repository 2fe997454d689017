package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.vireo.protocol.vm.VmEvent.*;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Restarts after crashes back off exponentially; a stable run forgives earlier crashes. */
class CrashLoopBackOffTest {

    @Test
    void crashOnAlwaysBacksOffExponentially() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        List<Long> backoffs = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            DomainCrashed crash = (DomainCrashed) f.run(f.crashed()).get(0);
            assertEquals(true, crash.restart());
            assertEquals(i + 1, crash.crashCount());
            assertEquals(Phase.CrashLoopBackOff, f.state.phase());
            assertNull(f.state.node());
            assertEquals(f.now.plusSeconds(crash.backoffSeconds()), f.state.restartAt());
            assertEquals(List.of(new VmEffect.ReleasePlacement(VmFixture.ID, f.state.incarnation()),
                    new VmEffect.WakeAt(f.state.restartAt())), f.lastEffects);
            backoffs.add(crash.backoffSeconds());
            f.advance(Duration.ofSeconds(crash.backoffSeconds()));
            f.run(f.backoffExpired());
            f.advance(Duration.ofSeconds(1)).runOn("node-a");
        }
        assertEquals(List.of(10L, 20L, 40L, 80L, 160L, 300L, 300L), backoffs, "doubling up to 5 minutes");
    }

    @Test
    void backoffExpiredStartsAgain() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        List<VmEvent> events = f.run(f.backoffExpired());
        assertEquals(List.of(StartRequested.class), types(events));
        assertEquals(StartReason.CrashLoopBackOff, ((StartRequested) events.get(0)).reason());
        assertEquals(Phase.Scheduling, f.state.phase());
        assertEquals(1, f.state.crashCount(), "the crash count lives on until a stable run");
    }

    @Test
    void backoffExpiredOfAnEarlierTimerIsIgnored() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        assertEquals(List.of(), f.run(new VmCommand.BackoffExpired("r", f.now)));
        assertEquals(Phase.CrashLoopBackOff, f.state.phase());
    }

    @Test
    void backoffExpiredAfterAStopIsIgnored() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        VmCommand.BackoffExpired timer = f.backoffExpired();
        f.run(f.stop());
        assertEquals(Phase.Stopped, f.state.phase());
        assertEquals(RunStrategy.Halted, f.state.runStrategy());
        assertEquals(List.of(), f.run(timer));
    }

    @Test
    void aStableRunResetsTheCrashCount() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        f.run(f.backoffExpired());
        f.runOn("node-a");
        f.advance(VmPolicy.DEFAULT.stableRun());
        DomainCrashed crash = (DomainCrashed) f.run(f.crashed()).get(0);
        assertEquals(1, crash.crashCount());
        assertEquals(10, crash.backoffSeconds());
    }

    @Test
    void startDuringBackOffStartsAtOnceAndForgivesTheCrashes() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        assertEquals(List.of(StartRequested.class), types(f.run(f.start())));
        assertEquals(0, f.state.crashCount());
        assertNull(f.state.restartAt());
    }

    @Test
    void deleteDuringBackOffDeletesAtOnce() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        f.run(f.crashed());
        String uid = f.state.uid();
        assertEquals(List.of(VmDeleted.class), types(f.run(f.delete())));
        assertEquals(List.of(new VmEffect.DeleteFilesOnNodes(VmFixture.ID, uid,
                f.lastEvents.get(0).meta().requestId())), f.lastEffects);
    }

    @Test
    void backoffPolicyDoublesFromBaseToMax() {
        VmPolicy p = new VmPolicy(Duration.ofSeconds(5), Duration.ofSeconds(60), Duration.ofMinutes(1));
        assertEquals(5, p.backoffSeconds(1));
        assertEquals(10, p.backoffSeconds(2));
        assertEquals(40, p.backoffSeconds(4));
        assertEquals(60, p.backoffSeconds(5));
        assertEquals(60, p.backoffSeconds(1000));
        assertEquals(5, p.backoffSeconds(0));
    }
}
