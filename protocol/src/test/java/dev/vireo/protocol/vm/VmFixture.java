package dev.vireo.protocol.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeReport;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One VM driven through the real decider, with a clock the test moves: every command is decided,
 * its events applied and its effects kept, exactly as the entity does it.
 */
final class VmFixture {

    static final VmId ID = new VmId("default", "web-1");
    static final String USER = "alice";

    final VmDecider decider = new VmDecider(VmPolicy.DEFAULT);
    final List<VmEvent> log = new ArrayList<>();
    VmState state = VmState.empty(ID);
    Instant now = Instant.parse("2025-01-01T00:00:00Z");
    List<VmEvent> lastEvents = List.of();
    List<VmEffect> lastEffects = List.of();
    private int requests;

    static VirtualMachineSpec spec(RunStrategy strategy) {
        return new VirtualMachineSpec(strategy, new VirtualMachineSpec.Cpu(1), "128Mi", null, null, null, null, 5)
                .withDefaults();
    }

    Decision decide(VmCommand command) {
        Decision decision = decider.decide(state, command, now);
        if (decision instanceof Decision.Accepted a) {
            lastEvents = a.events();
            lastEffects = a.effects();
            for (VmEvent e : a.events()) {
                state = state.apply(e);
                log.add(e);
            }
        } else {
            lastEvents = List.of();
            lastEffects = List.of();
        }
        return decision;
    }

    /** Runs an accepted command and returns its events. */
    List<VmEvent> run(VmCommand command) {
        Decision d = decide(command);
        assertInstanceOf(Decision.Accepted.class, d, () -> command + " was rejected: " + d);
        return lastEvents;
    }

    Rejection reject(VmCommand command) {
        int before = log.size();
        Decision d = decide(command);
        assertInstanceOf(Decision.Rejected.class, d, () -> command + " was accepted: " + d);
        assertEquals(before, log.size());
        return ((Decision.Rejected) d).rejection();
    }

    VmFixture advance(Duration d) {
        now = now.plus(d);
        return this;
    }

    String rid() {
        return "req-" + (++requests);
    }

    // user commands

    VmCommand.Create createCommand(RunStrategy strategy) {
        return new VmCommand.Create(rid(), USER, "uid-" + requests, Map.of("app", "web"), spec(strategy));
    }

    List<VmEvent> create(RunStrategy strategy) {
        return run(createCommand(strategy));
    }

    VmCommand.Start start() {
        return new VmCommand.Start(rid(), USER);
    }

    VmCommand.Stop stop() {
        return new VmCommand.Stop(rid(), USER, false);
    }

    VmCommand.Stop forceStop() {
        return new VmCommand.Stop(rid(), USER, true);
    }

    VmCommand.Restart restart() {
        return new VmCommand.Restart(rid(), USER);
    }

    VmCommand.Pause pause() {
        return new VmCommand.Pause(rid(), USER);
    }

    VmCommand.Unpause unpause() {
        return new VmCommand.Unpause(rid(), USER);
    }

    VmCommand.Delete delete() {
        return new VmCommand.Delete(rid(), USER);
    }

    VmCommand.UpdateSpec update(VirtualMachineSpec spec) {
        return new VmCommand.UpdateSpec(rid(), USER, state.labels(), spec, state.resourceVersion());
    }

    VmCommand.UpdateSpec update(RunStrategy strategy) {
        return update(state.spec().withRunStrategy(strategy));
    }

    // system inputs

    VmCommand.PlacementSucceeded placed(String node) {
        return new VmCommand.PlacementSucceeded(rid(), node, state.incarnation() + 1);
    }

    VmCommand.PlacementFailed placementFailed() {
        return new VmCommand.PlacementFailed(rid(), state.incarnation() + 1, "no node has 1 free core");
    }

    VmCommand.ReportFromNode report(NodeReport r) {
        return new VmCommand.ReportFromNode(rid(), r);
    }

    VmCommand.ReportFromNode started() {
        return report(new NodeReport.DomainStarted(ID, state.node(), state.incarnation()));
    }

    VmCommand.ReportFromNode stopped(String reason) {
        return report(new NodeReport.DomainStopped(ID, state.node(), state.incarnation(), reason));
    }

    VmCommand.ReportFromNode crashed() {
        return report(new NodeReport.DomainCrashed(ID, state.node(), state.incarnation(), "qemu died"));
    }

    VmCommand.ReportFromNode found(String domainState) {
        return report(new NodeReport.DomainFound(ID, state.node(), state.incarnation(), state.uid(),
                DomainState.valueOf(domainState)));
    }

    VmCommand.ReportFromNode missing() {
        return report(new NodeReport.DomainMissing(ID, state.node(), state.incarnation()));
    }

    VmCommand.ReportFromNode actionFailed(String action) {
        return report(new NodeReport.ActionFailed(ID, state.node(), state.incarnation(), NodeAction.valueOf(action),
                "libvirt said no"));
    }

    VmCommand.LoseNode loseNode() {
        return new VmCommand.LoseNode(rid(), state.node());
    }

    VmCommand.BackoffExpired backoffExpired() {
        return new VmCommand.BackoffExpired(rid(), state.restartAt());
    }

    // whole steps

    /** Placed on {@code node} and started there. */
    VmFixture runOn(String node) {
        run(placed(node));
        run(started());
        return this;
    }

    static VmFixture running(RunStrategy strategy) {
        VmFixture f = new VmFixture();
        f.create(strategy);
        if (f.state.phase() == Phase.Stopped) {
            f.run(f.start());
        }
        return f.runOn("node-a");
    }

    static List<Class<?>> types(List<?> items) {
        return items.stream().<Class<?>>map(Object::getClass).toList();
    }
}
