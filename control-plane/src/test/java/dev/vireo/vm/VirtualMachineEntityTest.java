package dev.vireo.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.vireo.metrics.VireoMetrics;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.Phase;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmEffect;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmPolicy;
import dev.vireo.protocol.vm.VmState;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The entity as an adapter: it persists what the decider decides, replies, carries out the effects, and
 * recovers to the same state. Commands, events, replies and state go through the real Jackson CBOR
 * serializer (the test kit checks every one).
 */
class VirtualMachineEntityTest {

    private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("""
                    pekko.actor.serialization-bindings {
                      "dev.vireo.protocol.CborSerializable" = jackson-cbor
                    }
                    """)));

    private static final VmId ID = new VmId("default", "web-1");
    private final List<VmEffect> effects = new CopyOnWriteArrayList<>();
    private EventSourcedBehaviorTestKit<VirtualMachineEntity.Command, VmEvent, VmState> entity;

    @BeforeEach
    void setUp() {
        effects.clear();
        entity = EventSourcedBehaviorTestKit.create(testKit.system(), VirtualMachineEntity.create(ID,
                new VmDecider(VmPolicy.DEFAULT), (effect, context, timers) -> effects.add(effect), Clock.systemUTC(),
                3, new VireoMetrics()));
    }

    @AfterAll
    static void tearDown() {
        testKit.shutdownTestKit();
    }

    private EventSourcedBehaviorTestKit.CommandResultWithReply<VirtualMachineEntity.Command, VmEvent, VmState,
            VirtualMachineEntity.Reply> run(VmCommand command) {
        return entity.runCommand(replyTo -> new VirtualMachineEntity.Execute(command, replyTo));
    }

    private static VmCommand.Create create(RunStrategy strategy) {
        return new VmCommand.Create("r1", "anonymous", "uid-1", Map.of("app", "web"),
                new VirtualMachineSpec(strategy, null, "128Mi", null, null, null, null, null).withDefaults());
    }

    @Test
    void createPersistsEventsRepliesAndAsksForAPlacement() {
        var result = run(create(RunStrategy.Always));
        assertEquals(List.of("VmCreated", "StartRequested"),
                result.events().stream().map(e -> e.getClass().getSimpleName()).toList());
        VirtualMachineEntity.Accepted reply = assertInstanceOf(VirtualMachineEntity.Accepted.class, result.reply());
        assertEquals(Phase.Scheduling, reply.state().phase());
        assertEquals(List.of(new VmEffect.RequestPlacement(ID, 1, 1, 128L << 20, Map.of(), List.of(), "r1")), effects);
    }

    /** An entity whose outbox asks the scheduler before persisting, which answers {@code answer} at once. */
    private EventSourcedBehaviorTestKit<VirtualMachineEntity.Command, VmEvent, VmState> placingFirst(
            java.util.function.Function<VmEffect.RequestPlacement, VmCommand> answer) {
        VirtualMachineEntity.Outbox outbox = new VirtualMachineEntity.Outbox() {
            @Override
            public void carryOut(VmEffect effect, org.apache.pekko.actor.typed.javadsl.ActorContext<VirtualMachineEntity.Command> context,
                                 org.apache.pekko.actor.typed.javadsl.TimerScheduler<VirtualMachineEntity.Command> timers) {
                effects.add(effect);
            }

            @Override
            public boolean placeFor(VmEffect.RequestPlacement placement,
                                    org.apache.pekko.actor.typed.ActorRef<VmCommand> answerTo) {
                answerTo.tell(answer.apply(placement));
                return true;
            }
        };
        return EventSourcedBehaviorTestKit.create(testKit.system(), VirtualMachineEntity.create(new VmId("default", "web-2"),
                new VmDecider(VmPolicy.DEFAULT), outbox, Clock.systemUTC(), 3, new VireoMetrics()));
    }

    @Test
    void createWithItsPlacementKnownFirstIsOnePersistThatStartsTheDomain() {
        var placing = placingFirst(p -> new VmCommand.PlacementSucceeded(p.requestId(), "node-a", p.incarnation()));
        var result = placing.<VirtualMachineEntity.Reply>runCommand(replyTo -> new VirtualMachineEntity.Execute(
                create(RunStrategy.Always), replyTo));
        assertEquals(List.of("VmCreated", "StartRequested", "Scheduled"),
                result.events().stream().map(e -> e.getClass().getSimpleName()).toList());
        // answered as without the placement: the VM as the create left it
        assertEquals(Phase.Scheduling, assertInstanceOf(VirtualMachineEntity.Accepted.class, result.reply()).state().phase());
        assertEquals(Phase.Starting, placing.getState().phase());
        assertEquals(1, effects.size(), "the placement was asked for again: " + effects);
        NodeAgentCommand.StartDomain start = assertInstanceOf(NodeAgentCommand.StartDomain.class,
                ((VmEffect.ToNode) effects.get(0)).command());
        assertEquals("node-a", start.node());
        // the same state as the same events decided one persist at a time
        assertEquals(placing.getState(), placing.restart().state());
    }

    @Test
    void createWhoseHeldPlacementFailsPersistsItAsUnschedulable() {
        var placing = placingFirst(p -> new VmCommand.PlacementFailed(p.requestId(), p.incarnation(), "no node fits"));
        var result = placing.<VirtualMachineEntity.Reply>runCommand(replyTo -> new VirtualMachineEntity.Execute(
                create(RunStrategy.Always), replyTo));
        assertEquals(List.of("VmCreated", "StartRequested", "Unschedulable"),
                result.events().stream().map(e -> e.getClass().getSimpleName()).toList());
        assertEquals(Phase.ErrorUnschedulable, placing.getState().phase());
    }

    @Test
    void refusedCommandPersistsNothingAndRepliesWithTheReason() {
        run(create(RunStrategy.Manual));
        var result = run(new VmCommand.Pause("r2", "anonymous"));
        assertTrue(result.hasNoEvents());
        VirtualMachineEntity.Refused refused = assertInstanceOf(VirtualMachineEntity.Refused.class, result.reply());
        assertTrue(refused.rejection().message().contains("only a Running VM can be paused"));
    }

    @Test
    void placementLeadsToStartDomainOnThatNodeWithTheNewIncarnation() {
        run(create(RunStrategy.Always));
        effects.clear();
        run(new VmCommand.PlacementSucceeded("r1", "node-a", 1));
        NodeAgentCommand.StartDomain start = assertInstanceOf(NodeAgentCommand.StartDomain.class,
                ((VmEffect.ToNode) effects.get(0)).command());
        assertEquals("node-a", start.node());
        assertEquals(1, start.incarnation());
        run(new VmCommand.ReportFromNode("n1", new NodeReport.DomainStarted(ID, "node-a", 1)));
        assertEquals(Phase.Running, entity.getState().phase());
    }

    /**
     * A decision with effects but no event: the effects are carried out all the same. Found with real guests
     * (LiveMigrationTest, control plane killed mid-migration): the recovered VM asked the source where its domain was,
     * the source said it had gone (moved), and the question to the target, the decision's only effect, was dropped:
     * the migration stayed Running for ever while the guest ran on the target.
     */
    @Test
    void effectsOfADecisionWithoutEventsAreCarriedOut() {
        run(create(RunStrategy.Always));
        run(new VmCommand.PlacementSucceeded("r1", "node-a", 1));
        run(new VmCommand.ReportFromNode("n1", new NodeReport.DomainStarted(ID, "node-a", 1)));
        run(new VmCommand.Migrate("r2", "anonymous", "mig-1", "node-b", dev.vireo.protocol.vm.MigrationPolicy.DEFAULT));
        run(new VmCommand.MigrationTargetReserved("r3", "mig-1", "node-b", 2));
        run(new VmCommand.ReportFromNode("n2", new NodeReport.MigrationPrepared(ID, "node-b", 2, "mig-1",
                Map.of("console", "/b/console.log"), "qemu:///b", "127.0.0.1", 49152, 49153)));
        effects.clear();
        var result = run(new VmCommand.ReportFromNode("n3", new NodeReport.DomainMissing(ID, "node-a", 1)));
        assertTrue(result.hasNoEvents());
        assertEquals(List.of(new VmEffect.ToNode(new NodeAgentCommand.EnsureDomain("node-b", ID, 2, "n3"))), effects);
    }

    @Test
    void recoveryRebuildsTheSameStateFromEventsAndSnapshots() {
        run(create(RunStrategy.Always));
        run(new VmCommand.PlacementSucceeded("r1", "node-a", 1));
        run(new VmCommand.ReportFromNode("n1", new NodeReport.DomainStarted(ID, "node-a", 1)));
        run(new VmCommand.Pause("r2", "anonymous"));
        run(new VmCommand.Unpause("r3", "anonymous"));
        VmState live = entity.getState();
        effects.clear();
        EventSourcedBehaviorTestKit.RestartResult<VmState> restarted = entity.restart();
        assertEquals(live, restarted.state());
        // a recovered Running VM claims its placement again and asks its node what it has
        assertEquals(List.of(
                new VmEffect.ClaimPlacement(ID, "node-a", 1, 1, 128L << 20),
                new VmEffect.ToNode(new NodeAgentCommand.EnsureDomain("node-a", ID, 1,
                        ((NodeAgentCommand.EnsureDomain) ((VmEffect.ToNode) effects.get(1)).command()).requestId()))),
                effects);
    }

    @Test
    void staleReportIsRecordedAndTheStaleDomainRemoved() {
        run(create(RunStrategy.Always));
        run(new VmCommand.PlacementSucceeded("r1", "node-a", 1));
        effects.clear();
        var result = run(new VmCommand.ReportFromNode("n1", new NodeReport.DomainStarted(ID, "node-b", 7)));
        assertInstanceOf(VmEvent.StaleReportIgnored.class, result.event());
        assertEquals(Phase.Starting, entity.getState().phase());
        assertEquals(new NodeAgentCommand.RemoveDomain("node-b", ID, 7, "n1"),
                ((VmEffect.ToNode) effects.get(0)).command());
    }
}
