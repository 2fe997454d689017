package dev.vireo.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import dev.vireo.auth.NodeCredentials;
import dev.vireo.protocol.node.NodeIdentity;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The scheduler with node credentials: a member's reports reach a VM only for the node it proved to be. */
class SchedulerNodeIdentityTest {

    private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config()
            .withFallback(ConfigFactory.parseString("""
                    pekko.actor.serialization-bindings {
                      "dev.vireo.protocol.CborSerializable" = jackson-cbor
                    }
                    """)));

    @TempDir
    Path dir;

    @AfterAll
    static void tearDown() {
        testKit.shutdownTestKit();
    }

    @Test
    void aReportAboutAnotherNodeFromAProvenMemberIsRefusedAndNeverReachesTheVm() throws Exception {
        Path file = Files.writeString(dir.resolve("node-tokens.csv"), "alpha,alpha-secret\nbeta,beta-secret\n");
        List<VmCommand> toVm = new CopyOnWriteArrayList<>();
        String member = "pekko://vireo@10.0.0.9:2552";
        ActorRef<Scheduler.Command> scheduler = testKit.spawn(Scheduler.create((vm, command) -> toVm.add(command),
                vm -> CompletableFuture.failedFuture(new IllegalStateException("no VMs here")), 1,
                Scheduler.NodeSettings.DEFAULT, Scheduler.MigrationLimits.DEFAULT,
                new Scheduler.Identity(new NodeCredentials(file), address -> true, ref -> member)));
        TestProbe<NodeIdentity.ToLink> link = testKit.createTestProbe();
        VmId vm = new VmId("default", "web");

        // beta's member says alpha's VM crashed before it proved anything: held, and it is challenged
        scheduler.tell(new Scheduler.Report(new NodeReport.DomainCrashed(vm, "alpha", 3, "forged"), "forged-1",
                link.ref()));
        NodeIdentity.Challenge challenge = link.expectMessageClass(NodeIdentity.Challenge.class);
        assertEquals(member, challenge.address());
        scheduler.tell(new Scheduler.Prove(new NodeIdentity.Proof("beta", challenge.nonce(),
                NodeIdentity.mac("beta-secret", "beta", member, challenge.nonce()), link.ref())));
        assertEquals("beta", link.expectMessageClass(NodeIdentity.Accepted.class).node());
        NodeIdentity.Refused refused = link.expectMessageClass(NodeIdentity.Refused.class);
        assertTrue(refused.reason().contains("proved to be node beta, not alpha"), refused.reason());

        scheduler.tell(new Scheduler.Report(new NodeReport.DomainStarted(vm, "beta", 3), "honest-1", link.ref()));
        link.awaitAssert(Duration.ofSeconds(5), () -> {
            assertEquals(List.of("honest-1"), toVm.stream()
                    .map(c -> ((VmCommand.ReportFromNode) c).requestId()).toList());
            return null;
        });
    }
}
