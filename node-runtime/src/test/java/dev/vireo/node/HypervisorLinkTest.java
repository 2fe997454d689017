package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.libvirt.event.StoppedDetail;

/** The listener on a libvirt connection runs on libvirt's event loop thread: it only hands over to the agent. */
class HypervisorLinkTest {

    private static final ActorTestKit testKit = ActorTestKit.create();

    @AfterAll
    static void stop() {
        testKit.shutdownTestKit();
    }

    @Test
    void aLifecycleEventIsHandedOverFromAnotherThreadAndAFailureToReadItOnlyLogged() throws Exception {
        TestProbe<NodeAgent.Message> agent = testKit.createTestProbe(NodeAgent.Message.class);
        LifecycleListener listener = HypervisorLink.handOver(agent.getRef());
        Connect connect = new Connect("test:///default");
        try {
            Domain domain = connect.domainLookupByName("test");
            DomainEvent stopped = new DomainEvent(DomainEventType.STOPPED, StoppedDetail.SHUTDOWN.ordinal());
            // libvirt calls the listener on a thread of its own, never an actor's
            assertEquals(0, onOtherThread(() -> listener.onLifecycleChange(domain, stopped)));
            HypervisorLink.LifecycleEvent event = agent.expectMessageClass(HypervisorLink.LifecycleEvent.class,
                    Duration.ofSeconds(10));
            assertEquals("test", event.domainName());
            assertEquals(domain.getUUIDString(), event.uuid());
            assertEquals(DomainEventType.STOPPED, event.type());
            assertEquals(StoppedDetail.SHUTDOWN, event.detail());

            assertEquals(0, onOtherThread(() -> listener.onLifecycleChange(null, stopped)),
                    "a domain that cannot be read is logged, never thrown at libvirt's loop");
            agent.expectNoMessage(Duration.ofMillis(300));
        } finally {
            connect.close();
        }
    }

    private interface Call {
        int run() throws Exception;
    }

    private static int onOtherThread(Call call) throws Exception {
        CompletableFuture<Integer> result = new CompletableFuture<>();
        Thread thread = new Thread(() -> {
            try {
                result.complete(call.run());
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
        }, "libvirt-event-loop-stand-in");
        thread.start();
        return result.get(10, TimeUnit.SECONDS);
    }
}
