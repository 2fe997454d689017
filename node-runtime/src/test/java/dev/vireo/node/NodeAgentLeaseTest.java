package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAgentCommand.StartDomain;
import dev.vireo.protocol.node.NodeDelivery;
import dev.vireo.protocol.node.NodeLease;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/**
 * The node agent under a lease, on libvirt's test driver, with this test in the lease keeper's and the control
 * plane's place: commands wait for the lease and the reconcile, an expired lease pauses the domains, and a lease
 * that comes back resumes what is still the node's, destroys what is not, and drops what was sent before the node
 * was declared lost.
 */
class NodeAgentLeaseTest {

    private static final String URI = "test:///default";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final VirtualMachineSpec SPEC =
            new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(1), "64Mi", null, null, null, null, null);

    private static ActorTestKit testKit;
    private static Connect outside;

    private final String node = "lease-" + UUID.randomUUID().toString().substring(0, 8);
    private final Lease lease = Lease.required();
    private final TestProbe<NodeReport> reports = testKit.createTestProbe(NodeReport.class);
    private final TestProbe<NodeRegistration> registrations = testKit.createTestProbe(NodeRegistration.class);
    private final TestProbe<NodeLease.Reconcile> reconciles = testKit.createTestProbe(NodeLease.Reconcile.class);
    private final List<VmId> vms = new ArrayList<>();
    private final List<NodeReport> setAside = new ArrayList<>();
    private ActorRef<NodeAgent.Message> agent;
    /** Where the agent takes the control plane's deliveries: the address its registration gives. */
    private ActorRef<NodeDelivery> deliveries;

    @BeforeAll
    static void start() throws LibvirtException {
        testKit = ActorTestKit.create();
        LibvirtEventLoop.ensureRunning(URI);
        outside = new Connect(URI);
    }

    @AfterAll
    static void stop() throws LibvirtException {
        testKit.shutdownTestKit();
        outside.close();
    }

    @AfterEach
    void cleanUp() throws LibvirtException {
        if (agent != null) {
            testKit.stop(agent);
        }
        for (VmId vm : vms) {
            Optional<Domain> left = lookup(vm.domainName());
            if (left.isPresent()) {
                if (left.get().isActive() == 1) {
                    left.get().destroy();
                }
                left.get().undefine();
            }
        }
    }

    private void startAgent() {
        NodeAgent.Uplink uplink = new NodeAgent.Uplink(reports.getRef(), registrations.getRef(), reconciles.getRef(),
                null, "session-1");
        agent = testKit.spawn(NodeAgent.create(NodeAgentSettings.of(node, URI, Map.of()), uplink, lease, null));
        deliveries = registrations.expectMessageClass(NodeRegistration.class, TIMEOUT).agent();
    }

    /** As the lease keeper does it: a grant, counted from now. */
    private void grant(boolean lost) {
        lease.extend(System.nanoTime(), System.currentTimeMillis(), 60_000);
        agent.tell(new NodeAgent.LeaseRegained(lost));
    }

    /** As the control plane does it: answers the agent's question about its domains. */
    private NodeLease.Reconcile answer(Set<NodeLease.Held> owned, long voidBefore) {
        NodeLease.Reconcile asked = reconciles.expectMessageClass(NodeLease.Reconcile.class, TIMEOUT);
        List<NodeLease.Held> mine = new ArrayList<>();
        List<NodeLease.Held> notMine = new ArrayList<>();
        asked.held().stream().filter(h -> vms.contains(h.vm())).forEach(h -> (owned.contains(h) ? mine : notMine).add(h));
        asked.replyTo().tell(new NodeLease.Ownership(mine, notMine, List.of(), voidBefore, false, null));
        return asked;
    }

    private StartDomain start(VmId vm) {
        return new StartDomain(node, vm, "uid-" + vm.name(), 1, SPEC, "req-" + vm.name());
    }

    @Test
    void commandsWaitForTheLeaseAndTheReconcile() {
        startAgent();
        VmId vm = newVm("waits");
        deliveries.tell(new NodeDelivery(1, start(vm)));
        reports.expectNoMessage(Duration.ofMillis(700));
        grant(false);
        answer(Set.of(), 0);
        expectReport(vm, NodeReport.DomainStarted.class);
    }

    @Test
    void anExpiredLeasePausesTheDomainsAndAReturningOneKeepsOnlyWhatIsStillTheNodes() throws Exception {
        startAgent();
        grant(false);
        answer(Set.of(), 0);
        VmId kept = newVm("kept");
        VmId gone = newVm("gone");
        deliveries.tell(new NodeDelivery(1, start(kept)));
        deliveries.tell(new NodeDelivery(2, start(gone)));
        expectReport(kept, NodeReport.DomainStarted.class);
        expectReport(gone, NodeReport.DomainStarted.class);

        lease.revoke();
        agent.tell(NodeAgent.LeaseSignal.FENCE);
        awaitState(kept, DomainInfo.DomainState.VIR_DOMAIN_PAUSED);
        awaitState(gone, DomainInfo.DomainState.VIR_DOMAIN_PAUSED);
        VmId late = newVm("late");
        VmId fresh = newVm("fresh");
        deliveries.tell(new NodeDelivery(50, start(late)));   // sent before the node was declared lost
        deliveries.tell(new NodeDelivery(200, start(fresh))); // sent after

        grant(true);
        NodeLease.Reconcile asked = answer(Set.of(new NodeLease.Held(kept, 1)), 100);
        assertTrue(asked.held().containsAll(List.of(new NodeLease.Held(kept, 1), new NodeLease.Held(gone, 1))),
                asked.toString());
        NodeReport.DomainStopped stopped = expectReport(gone, NodeReport.DomainStopped.class);
        assertEquals("NotOwned", stopped.reason());
        assertEquals(DomainState.Running, expectReport(kept, NodeReport.DomainFound.class).state());
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(kept));
        assertTrue(lookup(gone.domainName()).isEmpty(), "not the node's any more: destroyed");
        expectReport(fresh, NodeReport.DomainStarted.class);
        assertTrue(lookup(late.domainName()).isEmpty(), "a start sent before the loss is void");
    }

    @Test
    void withoutALeaseNothingStartsEvenIfTheCommandGotThrough() {
        startAgent();
        grant(false);
        answer(Set.of(), 0);
        VmId first = newVm("leased");
        deliveries.tell(new NodeDelivery(1, start(first)));
        expectReport(first, NodeReport.DomainStarted.class); // reconciled and running
        lease.revoke(); // expired, and the agent has not heard yet
        VmId vm = newVm("unleased");
        deliveries.tell(new NodeDelivery(2, start(vm)));
        NodeReport.ActionFailed failed = expectReport(vm, NodeReport.ActionFailed.class);
        assertTrue(failed.message().contains("holds no valid lease"), failed.message());
    }

    private VmId newVm(String name) {
        VmId vm = new VmId("leasetest", name + "-" + UUID.randomUUID().toString().substring(0, 8));
        vms.add(vm);
        return vm;
    }

    private <T extends NodeReport> T expectReport(VmId vm, Class<T> type) {
        for (var it = setAside.iterator(); it.hasNext(); ) {
            NodeReport report = it.next();
            if (report.vm().equals(vm) && type.isInstance(report)) {
                it.remove();
                return type.cast(report);
            }
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            NodeReport report = reports.receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (report.vm().equals(vm) && type.isInstance(report)) {
                return assertInstanceOf(type, report);
            }
            setAside.add(report);
        }
    }

    private static void awaitState(VmId vm, DomainInfo.DomainState state) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (state(vm) != state) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(vm + " is " + state(vm) + ", not " + state);
            }
            Thread.sleep(20);
        }
    }

    private static DomainInfo.DomainState state(VmId vm) throws LibvirtException {
        return lookup(vm.domainName()).orElseThrow().getInfo().state;
    }

    private static Optional<Domain> lookup(String name) throws LibvirtException {
        Set<String> defined = new HashSet<>(List.of(outside.listDefinedDomains()));
        if (defined.contains(name)) {
            return Optional.of(outside.domainLookupByName(name));
        }
        for (int id : outside.listDomains()) {
            Domain domain = outside.domainLookupByID(id);
            if (domain.getName().equals(name)) {
                return Optional.of(domain);
            }
        }
        return Optional.empty();
    }
}
