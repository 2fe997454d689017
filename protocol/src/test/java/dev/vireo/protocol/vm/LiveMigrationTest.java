package dev.vireo.protocol.vm;

import static dev.vireo.protocol.vm.VmFixture.ID;
import static dev.vireo.protocol.vm.VmFixture.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmEvent.*;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Live migration in the VM's log: every step an event, one node running the domain at any time. */
class LiveMigrationTest {

    static final String MIGRATION = "mig-1";

    /** Every command the VM's effects sent to nodes, in order: what each node was told. */
    final List<NodeAgentCommand> toNodes = new ArrayList<>();

    VmFixture running() {
        VmFixture f = VmFixture.running(RunStrategy.Always);
        assertEquals("node-a", f.state.node());
        return f;
    }

    List<VmEvent> run(VmFixture f, VmCommand command) {
        List<VmEvent> events = f.run(command);
        f.lastEffects.stream().filter(VmEffect.ToNode.class::isInstance)
                .map(e -> ((VmEffect.ToNode) e).command()).forEach(toNodes::add);
        return events;
    }

    VmCommand.Migrate migrate(VmFixture f, String target) {
        return new VmCommand.Migrate(f.rid(), VmFixture.USER, MIGRATION, target, MigrationPolicy.DEFAULT);
    }

    NodeReport.MigrationPrepared prepared(String node, long incarnation) {
        return new NodeReport.MigrationPrepared(ID, node, incarnation, MIGRATION, Map.of("console", "/b/console.log"),
                "qemu:///b", "127.0.0.1", 49152, 49153);
    }

    /** Running on node-a, migrated up to the point where node-a's libvirt moves the domain to node-b. */
    VmFixture started() {
        VmFixture f = running();
        run(f, migrate(f, "node-b"));
        run(f, new VmCommand.MigrationTargetReserved(f.rid(), MIGRATION, "node-b", 2));
        run(f, f.report(prepared("node-b", 2)));
        return f;
    }

    @Test
    void aMigrationIsRequestedTargetedStartedAndCompletedOnTheTargetUnderANewIncarnation() {
        VmFixture f = running();
        assertEquals(List.of(MigrationRequested.class), types(run(f, migrate(f, null))));
        assertEquals(Phase.Migrating, f.state.phase());
        assertEquals("node-a", f.state.node(), "it runs on the source until it has moved");
        VmEffect.ReserveMigrationTarget reserve = assertInstanceOf(VmEffect.ReserveMigrationTarget.class,
                f.lastEffects.get(0));
        assertEquals("node-a", reserve.source());
        assertEquals(2, reserve.incarnation());

        assertEquals(List.of(MigrationTargetChosen.class),
                types(run(f, new VmCommand.MigrationTargetReserved(f.rid(), MIGRATION, "node-b", 2))));
        assertInstanceOf(NodeAgentCommand.PrepareMigration.class, toNodes.get(toNodes.size() - 1));
        assertEquals("node-b", toNodes.get(toNodes.size() - 1).node());

        assertEquals(List.of(MigrationStarted.class), types(run(f, f.report(prepared("node-b", 2)))));
        NodeAgentCommand.MigrateDomain migrate = assertInstanceOf(NodeAgentCommand.MigrateDomain.class,
                toNodes.get(toNodes.size() - 1));
        assertEquals("node-a", migrate.node(), "the source moves the domain");
        assertEquals(1, migrate.incarnation());
        assertEquals(2, migrate.targetIncarnation());

        MigrationProgress progress = new MigrationProgress(200, 100, 40, 60, 0, 1);
        assertEquals(List.of(MigrationProgressed.class), types(run(f, f.report(new NodeReport.MigrationProgressed(ID,
                "node-a", 1, MIGRATION, progress)))));

        assertEquals(List.of(MigrationCompleted.class), types(run(f, f.report(new NodeReport.MigrationSucceeded(ID,
                "node-a", 1, MIGRATION, 42, 900, 100)))));
        assertEquals(Phase.Running, f.state.phase());
        assertEquals("node-b", f.state.node());
        assertEquals(2, f.state.incarnation());
        assertNull(f.state.migration());
        assertTrue(f.lastEffects.contains(new VmEffect.PromoteMigrationTarget(ID, MIGRATION, "node-b", 2, 1, 128L << 20)),
                () -> "the target's reservation becomes the placement: " + f.lastEffects);
        assertTrue(f.lastEffects.contains(new VmEffect.ToNode(new NodeAgentCommand.EnsureDomain("node-b", ID, 2,
                f.state.vm() == null ? null : lastRequest(f)))), () -> "the target adopts the domain: " + f.lastEffects);
        assertEquals(42, ((MigrationCompleted) f.log.get(f.log.size() - 1)).downtimeMs());
    }

    private static String lastRequest(VmFixture f) {
        return f.log.get(f.log.size() - 1).meta().requestId();
    }

    @Test
    void onlyOneNodeIsEverToldToRunTheDomain() {
        VmFixture f = started();
        run(f, f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, MIGRATION, 10, 500, 1)));
        long starts = toNodes.stream().filter(c -> c instanceof NodeAgentCommand.StartDomain
                || c instanceof NodeAgentCommand.ResumeDomain).count();
        assertEquals(0, starts, "no node is told to start or resume the domain during a migration: " + toNodes);
        assertEquals(1, toNodes.stream().filter(NodeAgentCommand.MigrateDomain.class::isInstance).count());
        // a late report of the old placement is stale, and its domain is removed
        List<VmEvent> late = run(f, f.report(new NodeReport.DomainFound(ID, "node-a", 1, f.state.uid(),
                DomainState.Running)));
        assertEquals(List.of(StaleReportIgnored.class), types(late));
        assertEquals(new NodeAgentCommand.RemoveDomain("node-a", ID, 1, lastRequest(f)), toNodes.get(toNodes.size() - 1));
    }

    @Test
    void aFailedMigrationLeavesTheVmOnTheSourceAndReleasesTheTarget() {
        VmFixture f = started();
        List<VmEvent> events = run(f, f.report(new NodeReport.MigrationAborted(ID, "node-a", 1, MIGRATION, false,
                "unable to connect")));
        assertEquals(List.of(MigrationFailed.class), types(events));
        assertEquals(Phase.Running, f.state.phase());
        assertEquals("node-a", f.state.node());
        assertEquals(1, f.state.incarnation());
        assertTrue(f.lastEffects.contains(new VmEffect.ReleaseMigrationTarget(ID, MIGRATION)), () -> f.lastEffects.toString());
        // a late report of the target's placement is stale: its domain, if any, goes
        assertEquals(List.of(StaleReportIgnored.class), types(run(f, f.report(new NodeReport.DomainStarted(ID, "node-b",
                2)))));
        assertEquals(new NodeAgentCommand.RemoveDomain("node-b", ID, 2, lastRequest(f)), toNodes.get(toNodes.size() - 1));
    }

    @Test
    void aTargetThatCannotPrepareFailsTheMigration() {
        VmFixture f = running();
        run(f, migrate(f, "node-b"));
        run(f, new VmCommand.MigrationTargetReserved(f.rid(), MIGRATION, "node-b", 2));
        assertEquals(List.of(MigrationFailed.class), types(run(f, f.report(new NodeReport.ActionFailed(ID, "node-b", 2,
                NodeAction.PrepareMigration, "base image differs")))));
        assertEquals(Phase.Running, f.state.phase());
        assertTrue(((MigrationFailed) f.log.get(f.log.size() - 1)).reason().contains("base image differs"));
    }

    @Test
    void aPreparationFailureAfterTheSourceStartedIsStaleAndChangesNothing() {
        // what the control plane says of a target whose runtime restarted: harmless once the source moves the domain
        VmFixture f = started();
        assertEquals(List.of(), run(f, f.report(new NodeReport.ActionFailed(ID, "node-b", 2,
                NodeAction.PrepareMigration, "the node runtime of node node-b started again"))));
        assertEquals(Phase.Migrating, f.state.phase());
        run(f, f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, MIGRATION, 30, 800, 1)));
        assertEquals("node-b", f.state.node());
    }

    @Test
    void aRefusedTargetFailsTheMigrationWithTheSchedulersReason() {
        VmFixture f = running();
        run(f, migrate(f, null));
        run(f, new VmCommand.MigrationTargetRefused(f.rid(), MIGRATION, "no other node fits 128 MiB"));
        assertEquals(Phase.Running, f.state.phase());
        assertEquals("no other node fits 128 MiB", ((MigrationFailed) f.log.get(f.log.size() - 1)).reason());
    }

    @Test
    void cancelBeforeTheSourceStartsEndsTheMigrationAtOnce() {
        VmFixture f = running();
        run(f, migrate(f, "node-b"));
        run(f, new VmCommand.MigrationTargetReserved(f.rid(), MIGRATION, "node-b", 2));
        assertEquals(List.of(MigrationCancelled.class), types(run(f, new VmCommand.CancelMigration(f.rid(),
                VmFixture.USER, MIGRATION))));
        assertEquals(Phase.Running, f.state.phase());
        assertTrue(f.lastEffects.contains(new VmEffect.ReleaseMigrationTarget(ID, MIGRATION)));
        // the target's late answer starts nothing
        int sent = toNodes.size();
        assertEquals(List.of(StaleReportIgnored.class), types(run(f, f.report(prepared("node-b", 2)))));
        assertTrue(toNodes.subList(sent, toNodes.size()).stream().noneMatch(NodeAgentCommand.MigrateDomain.class::isInstance));
    }

    @Test
    void cancelOnceStartedAbortsTheSourcesJobAndItsReportEndsIt() {
        VmFixture f = started();
        assertEquals(List.of(MigrationCancelRequested.class), types(run(f, new VmCommand.CancelMigration(f.rid(),
                VmFixture.USER, MIGRATION))));
        assertEquals(new NodeAgentCommand.CancelMigration("node-a", ID, 1, MIGRATION, lastRequest(f)),
                toNodes.get(toNodes.size() - 1));
        assertEquals(Phase.Migrating, f.state.phase());
        assertEquals(List.of(), run(f, new VmCommand.CancelMigration(f.rid(), VmFixture.USER, MIGRATION)));
        assertEquals(List.of(MigrationCancelled.class), types(run(f, f.report(new NodeReport.MigrationAborted(ID,
                "node-a", 1, MIGRATION, true, "cancelled")))));
        assertEquals("node-a", f.state.node());
    }

    @Test
    void aCancelThatComesTooLateLetsTheMigrationComplete() {
        VmFixture f = started();
        run(f, new VmCommand.CancelMigration(f.rid(), VmFixture.USER, MIGRATION));
        run(f, f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, MIGRATION, 30, 800, 1)));
        assertEquals("node-b", f.state.node());
        assertEquals(Phase.Running, f.state.phase());
    }

    @Test
    void migrateIsRefusedUnlessRunningToItsOwnNodeOrWhileMigrating() {
        VmFixture stopped = new VmFixture();
        stopped.create(RunStrategy.Halted);
        assertTrue(stopped.reject(migrate(stopped, "node-b")).message().contains("only a Running VM"));

        VmFixture f = running();
        Rejection own = f.reject(migrate(f, "node-a"));
        assertTrue(own.message().contains("already runs there"), own::message);

        run(f, migrate(f, "node-b"));
        assertEquals(List.of(), run(f, migrate(f, "node-b")), "the same migration asked twice is no news");
        Rejection again = f.reject(new VmCommand.Migrate(f.rid(), VmFixture.USER, "mig-2", null, MigrationPolicy.DEFAULT));
        assertTrue(again.message().contains("already migrating"), again::message);
        Rejection stop = f.reject(f.stop());
        assertTrue(stop.message().contains("cancel the migration first"), stop::message);
        Rejection other = f.reject(new VmCommand.CancelMigration(f.rid(), VmFixture.USER, "mig-9"));
        assertEquals(Rejection.Code.NotFound, other.code());
    }

    @Test
    void cancelOfAVmThatIsNotMigratingIsRefused() {
        VmFixture f = running();
        Rejection r = f.reject(new VmCommand.CancelMigration(f.rid(), VmFixture.USER, MIGRATION));
        assertTrue(r.message().contains("only a migration in flight"), r::message);
    }

    @Test
    void aLostTargetMidMigrationAbortsTheSourcesJob() {
        VmFixture f = started();
        run(f, new VmCommand.LoseNode(f.rid(), "node-b"));
        assertInstanceOf(NodeAgentCommand.CancelMigration.class, toNodes.get(toNodes.size() - 1));
        assertEquals(Phase.Migrating, f.state.phase());
    }

    @Test
    void aLostSourceEndsTheMigrationAndTheRunStrategyDecides() {
        VmFixture f = started();
        List<VmEvent> events = run(f, new VmCommand.LoseNode(f.rid(), "node-a"));
        assertEquals(List.of(MigrationFailed.class, NodeLost.class, StartRequested.class), types(events));
        assertEquals(Phase.Scheduling, f.state.phase());
    }

    @Test
    void aSourceThatRestartedAndStillRunsTheGuestFailsTheMigration() {
        VmFixture f = started();
        // the first such report may predate the migration: the job is cancelled and the source asked behind it
        run(f, f.report(new NodeReport.DomainFound(ID, "node-a", 1, f.state.uid(), DomainState.Running)));
        assertEquals(List.of(MigrationFailed.class), types(run(f, f.report(new NodeReport.DomainFound(ID, "node-a", 1,
                f.state.uid(), DomainState.Running)))));
        assertEquals("node-a", f.state.node());
        assertEquals(new NodeAgentCommand.RemoveDomain("node-b", ID, 2, lastRequest(f)), toNodes.get(toNodes.size() - 1));
    }

    @Test
    void aSourceThatRestartedAndFoundTheGuestPausedResumesIt() {
        VmFixture f = started();
        run(f, f.report(new NodeReport.DomainFound(ID, "node-a", 1, f.state.uid(), DomainState.Paused)));
        assertEquals(List.of(MigrationFailed.class), types(run(f, f.report(new NodeReport.DomainFound(ID, "node-a", 1,
                f.state.uid(), DomainState.Paused)))));
        assertEquals(Phase.Running, f.state.phase());
        assertEquals(new NodeAgentCommand.ResumeDomain("node-a", ID, 1, lastRequest(f)), toNodes.get(toNodes.size() - 1));
    }

    @Test
    void aDomainGoneFromTheSourceIsLookedForOnTheTargetAndFoundThere() {
        VmFixture f = started();
        assertEquals(List.of(), run(f, f.report(new NodeReport.DomainMissing(ID, "node-a", 1))));
        assertEquals(new NodeAgentCommand.EnsureDomain("node-b", ID, 2, f.log.isEmpty() ? null
                : toNodes.get(toNodes.size() - 1).requestId()), toNodes.get(toNodes.size() - 1));
        assertEquals(List.of(MigrationCompleted.class), types(run(f, f.report(new NodeReport.DomainFound(ID, "node-b", 2,
                f.state.uid(), DomainState.Running)))));
        assertEquals("node-b", f.state.node());
        assertEquals(2, f.state.incarnation());
    }

    @Test
    void aVmRecoveredMidMigrationAsksTheSourceWhereItsDomainIs() {
        VmFixture f = started();
        List<VmEffect> resumed = f.decider.onRecovery(f.state, "recovery-1");
        assertTrue(resumed.contains(new VmEffect.ToNode(new NodeAgentCommand.EnsureDomain("node-a", ID, 1,
                "recovery-1"))), resumed::toString);
    }

    /**
     * A node that reconciles (after a restart of the control plane, or of itself) asks which of its domains are still
     * its own: the migration's target keeps the domain libvirt is moving the guest into, or has moved it into. Found
     * with real guests (LiveMigrationTest, e2e): the restarted control plane said no, the target destroyed the domain,
     * and a guest whose migration had completed while the control plane was down was gone.
     */
    @Test
    void theTargetsDomainIsTheVmsOwnWhileItMigrates() {
        VmFixture f = started();
        assertTrue(f.state.ownsDomain("node-b", 2), "the target's domain");
        assertTrue(f.state.ownsDomain("node-a", 1), "the source's domain");
        assertEquals(false, f.state.ownsDomain("node-b", 1));
        assertEquals(false, f.state.ownsDomain("node-c", 2));
        run(f, f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, MIGRATION, 10, 500, 1)));
        assertEquals(false, f.state.ownsDomain("node-a", 1), "once it completed, the source's is no longer");
        assertTrue(f.state.ownsDomain("node-b", 2));
    }

    /**
     * A control plane restarted mid-migration has a scheduler that no longer knows the target's reservation: the
     * recovered VM claims it again, or its capacity would go to others while the guest moves there.
     */
    @Test
    void aVmRecoveredMidMigrationClaimsItsTargetAgain() {
        VmFixture f = started();
        List<VmEffect> resumed = f.decider.onRecovery(f.state, "recovery-1");
        assertTrue(resumed.contains(new VmEffect.ClaimMigrationTarget(ID, MIGRATION, "node-a", "node-b", 2, 1,
                128L << 20)), resumed::toString);
        VmFixture chosen = running();
        run(chosen, migrate(chosen, "node-b"));
        run(chosen, new VmCommand.MigrationTargetReserved(chosen.rid(), MIGRATION, "node-b", 2));
        assertTrue(chosen.decider.onRecovery(chosen.state, "recovery-2").contains(new VmEffect.ClaimMigrationTarget(ID,
                MIGRATION, "node-a", "node-b", 2, 1, 128L << 20)), "a target chosen, not yet started, is claimed too");
    }

    /**
     * A target lost after the switchover is promoted to nothing (its node's reservations are gone): the VM itself gives
     * the source's placement back, or the scheduler would hold two placements of it (found at 120 steps by
     * GeneratedSequenceTest, sequence 8664088721969038902).
     */
    @Test
    void aCompletedMigrationGivesTheSourcesPlacementBack() {
        VmFixture f = started();
        run(f, f.report(new NodeReport.MigrationSucceeded(ID, "node-a", 1, MIGRATION, 10, 500, 1)));
        assertTrue(f.lastEffects.contains(new VmEffect.ReleasePlacement(ID, 1)), () -> f.lastEffects.toString());
        assertTrue(f.lastEffects.indexOf(new VmEffect.ReleasePlacement(ID, 1))
                > f.lastEffects.indexOf(new VmEffect.PromoteMigrationTarget(ID, MIGRATION, "node-b", 2, 1, 128L << 20)),
                "released after the promotion: a scheduler that promoted the target no longer holds the source's");
    }

    /**
     * The source's domain crashed while its libvirt migrated it, and the job then aborted: the VM is back on the
     * source, which is asked what it has, and its answer (no domain) brings an Always VM back instead of leaving it
     * Running with nothing running (GeneratedSequenceTest at 120 steps, seeds 2 and 3).
     */
    @Test
    void aMigrationAbortedAfterTheSourcesDomainDiedEndsInACrashNotInRunning() {
        VmFixture f = started();
        run(f, f.report(new NodeReport.DomainCrashed(ID, "node-a", 1, "qemu died")));
        assertEquals(List.of(MigrationFailed.class), types(run(f, f.report(new NodeReport.MigrationAborted(ID, "node-a",
                1, MIGRATION, false, "no such domain here")))));
        assertEquals(new NodeAgentCommand.EnsureDomain("node-a", ID, 1, lastRequest(f)), toNodes.get(toNodes.size() - 1),
                "the source is asked what it has");
        assertEquals(List.of(VmEvent.DomainCrashed.class), types(run(f, f.report(new NodeReport.DomainMissing(ID,
                "node-a", 1)))));
        assertEquals(Phase.CrashLoopBackOff, f.state.phase());
    }

    /**
     * A report of the source's domain sent before its libvirt took the migration up (a late answer to a start, or what
     * a reconcile found) arrives after MigrationStarted: it does not end the migration, which may still move the
     * domain to the target (GeneratedSequenceTest at 120 steps, seed 1: the target was given back, the domain moved
     * there anyway, and the VM believed it ran on the source).
     */
    @Test
    void aSourceReportFromBeforeTheMigrationDoesNotEndIt() {
        VmFixture f = started();
        assertEquals(List.of(), run(f, f.report(new NodeReport.DomainStarted(ID, "node-a", 1))));
        assertEquals(List.of(MigrationCancelRequested.class), types(run(f, f.report(new NodeReport.DomainFound(ID,
                "node-a", 1, f.state.uid(), DomainState.Running)))));
        assertEquals(Phase.Migrating, f.state.phase());
        assertEquals(new NodeAgentCommand.CancelMigration("node-a", ID, 1, MIGRATION, lastRequest(f)),
                toNodes.get(toNodes.size() - 2));
        assertEquals(new NodeAgentCommand.EnsureDomain("node-a", ID, 1, lastRequest(f)), toNodes.get(toNodes.size() - 1),
                "the source answers behind the migration in the domain's lane");
        assertTrue(toNodes.stream().noneMatch(c -> c instanceof NodeAgentCommand.RemoveDomain), toNodes::toString);
        // the migration completed before the cancel reached it: the VM is on the target
        assertEquals(List.of(MigrationCompleted.class), types(run(f, f.report(new NodeReport.MigrationSucceeded(ID,
                "node-a", 1, MIGRATION, 10, 500, 1)))));
        assertEquals("node-b", f.state.node());
    }

    /**
     * A VM recovered while it waited for a target asks again; the first ask may get a target and the second a refusal,
     * answered first: the refusal fails the migration and gives back whatever target the migration holds, or it leaks
     * (GeneratedSequenceTest at 120 steps, sequence 840575162892531021).
     */
    @Test
    void aRefusedTargetGivesBackATargetAnEarlierAskGot() {
        VmFixture f = running();
        run(f, migrate(f, null));
        assertEquals(List.of(MigrationFailed.class), types(run(f, new VmCommand.MigrationTargetRefused(f.rid(), MIGRATION,
                "no other node fits"))));
        assertTrue(f.lastEffects.contains(new VmEffect.ReleaseMigrationTarget(ID, MIGRATION)), () -> f.lastEffects.toString());
    }
}
