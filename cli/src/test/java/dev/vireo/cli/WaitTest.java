package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** --wait: follow the VM, print each phase change, end at the goal, a failure phase, or the timeout. */
class WaitTest {
    private static final long STEP = 150;

    FakeVireo vireo;

    @TempDir
    Path dir;

    @BeforeEach
    void start() throws Exception {
        vireo = new FakeVireo();
    }

    @AfterEach
    void stop() {
        vireo.close();
    }

    Cli vireo(String... args) {
        return vireo.cli(args);
    }

    @Test
    void startWaitPrintsEachTransitionUntilRunning() {
        vireo.vm("web-1", "Stopped", null);
        vireo.actions.put("start", name -> vireo.later(STEP,
                () -> vireo.transition(name, "Scheduling", null, "StartRequested"),
                () -> vireo.transition(name, "Starting", "local", "Scheduled"),
                () -> vireo.transition(name, "Running", "local", "DomainStarted")));
        Cli run = vireo("start", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("""
                virtualmachine/web-1 starting
                web-1: Stopped -> Scheduling
                web-1: Scheduling -> Starting (node local)
                web-1: Starting -> Running (node local)
                """, run.out());
    }

    @Test
    void applyWaitFollowsTheNewVmToRunning() throws Exception {
        Path file = Files.writeString(dir.resolve("vm.yaml"), ManifestReaderTest.YAML);
        vireo.later(400,
                () -> vireo.transition("web-1", "Starting", "local", "Scheduled"),
                () -> vireo.transition("web-1", "Running", "local", "DomainStarted"));
        Cli run = vireo("apply", "-f", file.toString(), "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("""
                virtualmachine/web-1 created
                web-1: Scheduling
                web-1: Scheduling -> Starting (node local)
                web-1: Starting -> Running (node local)
                """, run.out());
    }

    @Test
    void aWaitAlreadyAtItsGoalSaysWhereTheVmIs() {
        vireo.vm("web-1", "Running", "local");
        Cli run = vireo("start", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("virtualmachine/web-1 starting\nweb-1: Running (node local)\n", run.out());
    }

    @Test
    void stopWaitEndsWhenStopped() {
        vireo.vm("web-1", "Running", "local");
        vireo.actions.put("stop", name -> vireo.later(STEP,
                () -> vireo.transition(name, "Stopping", "local", "StopRequested"),
                () -> vireo.transition(name, "Stopped", null, "DomainStopped")));
        Cli run = vireo("stop", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().endsWith("web-1: Stopping -> Stopped\n"), run.out());
    }

    @Test
    void aFailurePhaseEndsTheWaitWithTheReason() {
        vireo.vm("web-1", "Stopped", null);
        vireo.actions.put("start", name -> vireo.later(STEP, () -> {
            vireo.vms.get("default/" + name).with("status").withArray("conditions").addObject()
                    .put("type", "Failure").put("status", "True").put("reason", "Unschedulable")
                    .put("message", "no node has 64 free vCPUs");
            vireo.transition(name, "ErrorUnschedulable", null, "Unschedulable");
        }));
        Cli run = vireo("start", "web-1", "--wait");
        assertEquals(CommandFailure.WAIT_FAILED, run.exit(), run.toString());
        assertTrue(run.out().endsWith("web-1: Stopped -> ErrorUnschedulable\n"), run.out());
        assertEquals("error: web-1 is ErrorUnschedulable: no node has 64 free vCPUs\n", run.err());
    }

    @Test
    void deleteWaitEndsWhenTheVmIsGone() {
        vireo.vm("web-1", "Running", "local");
        vireo.actions.put("delete", name -> vireo.later(STEP,
                () -> vireo.transition(name, "Terminating", "local", "StopRequested"),
                () -> {
                    vireo.vms.remove("default/" + name);
                    vireo.emit("default", name, "VmDeleted");
                }));
        Cli run = vireo("delete", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("""
                virtualmachine/web-1 deleted
                web-1: Running -> Terminating (node local)
                web-1: Terminating -> deleted
                """, run.out());
    }

    @Test
    void restartWaitWaitsUntilTheVmRunsAgain() {
        vireo.vm("web-1", "Running", "local");
        vireo.actions.put("restart", name -> vireo.later(STEP,
                () -> vireo.transition(name, "Stopping", "local", "RestartRequested"),
                () -> vireo.transition(name, "Starting", "local", "DomainStopped"),
                () -> vireo.transition(name, "Running", "local", "DomainStarted")));
        Cli run = vireo("restart", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertTrue(run.out().endsWith("web-1: Starting -> Running (node local)\n"), run.out());
    }

    @Test
    void aWaitGivesUpAtTheTimeoutAndSaysWhereTheVmIsStuck() {
        vireo.vm("web-1", "Stopped", null);
        vireo.actions.put("start", name -> vireo.transition(name, "Scheduling", null, "StartRequested"));
        Cli run = vireo("start", "web-1", "--wait", "--timeout", "1s");
        assertEquals(CommandFailure.WAIT_TIMED_OUT, run.exit(), run.toString());
        assertEquals("error: gave up after 1s waiting for web-1 to be Running (it is Scheduling); "
                + "it may still get there: see vireo history web-1\n", run.err());
    }

    @Test
    void withoutAnEventStreamTheWaitPollsAndStillPrintsEachPhase() {
        vireo.eventsAvailable = false;
        vireo.vm("web-1", "Stopped", null);
        vireo.actions.put("start", name -> vireo.later(1300,
                () -> vireo.transition(name, "Starting", "local", "Scheduled"),
                () -> vireo.transition(name, "Running", "local", "DomainStarted")));
        Cli run = vireo("start", "web-1", "--wait");
        assertEquals(0, run.exit(), run.toString());
        assertEquals("""
                virtualmachine/web-1 starting
                web-1: Stopped -> Starting (node local)
                web-1: Starting -> Running (node local)
                """, run.out());
    }

    @Test
    void aMigrationShowsTheNodeItLeft() {
        assertEquals("Migrating (node a) -> Running (node b)", PhaseWatch.transition(
                new VmView(true, "Migrating", "a", "1", null), new VmView(true, "Running", "b", "2", null)));
        assertEquals("Running -> Stopped", PhaseWatch.transition(
                new VmView(true, "Running", "a", "1", null), new VmView(true, "Stopped", null, "1", null)));
    }

    @Test
    void applyWaitsForTheGoalItsRunStrategyImplies() {
        assertEquals("be Running", Goal.forRunStrategy("Always").description());
        assertEquals("be Running", Goal.forRunStrategy("RerunOnFailure").description());
        assertEquals("be Stopped", Goal.forRunStrategy("Halted").description());
        assertEquals("settle", Goal.forRunStrategy("Manual").description());
    }
}
