package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAction;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeAgentCommand.EnsureDomain;
import dev.vireo.protocol.node.NodeAgentCommand.PauseDomain;
import dev.vireo.protocol.node.NodeAgentCommand.RemoveDomain;
import dev.vireo.protocol.node.NodeAgentCommand.ResumeDomain;
import dev.vireo.protocol.node.NodeAgentCommand.StartDomain;
import dev.vireo.protocol.node.NodeAgentCommand.StopDomain;
import dev.vireo.protocol.node.NodeDelivery;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
 * The node agent against libvirt's real test driver. Its state is shared by every connection in this
 * JVM, so every test uses VMs of its own and filters the reports by VM.
 */
class NodeAgentTest {

    private static final String URI = "test:///default";
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration QUIET = Duration.ofMillis(500);
    private static final VirtualMachineSpec SPEC =
            new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(1), "64Mi", null, null, null, null, null);

    private static ActorTestKit testKit;
    /** A connection of the test's own, to look at libvirt and to act on it "from outside Vireo". */
    private static Connect outside;

    private final List<ActorRef<NodeAgent.Message>> agents = new ArrayList<>();
    private final List<VmId> vms = new ArrayList<>();
    private final List<NodeReport> setAside = new ArrayList<>();

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
        agents.forEach(testKit::stop);
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

    /** A running agent with its probes; it has registered once. */
    private static final java.util.concurrent.atomic.AtomicLong DELIVERIES = new java.util.concurrent.atomic.AtomicLong();

    private record Agent(ActorRef<NodeAgent.Message> actor, ActorRef<NodeDelivery> ref, TestProbe<NodeReport> reports,
                         TestProbe<NodeRegistration> registrations, String node) {
        /** As the control plane sends it: numbered, to the address the agent registered. */
        void tell(NodeAgentCommand command) {
            ref.tell(new NodeDelivery(DELIVERIES.incrementAndGet(), command));
        }
    }

    private Agent startAgent() {
        return startAgent(NodeAgentSettings.of("node-" + shortId(), URI, Map.of("zone", "a")));
    }

    private Agent startAgent(NodeAgentSettings settings) {
        TestProbe<NodeReport> reports = testKit.createTestProbe(NodeReport.class);
        TestProbe<NodeRegistration> registrations = testKit.createTestProbe(NodeRegistration.class);
        ActorRef<NodeAgent.Message> ref = testKit.spawn(NodeAgent.create(settings, reports.getRef(),
                registrations.getRef()));
        agents.add(ref);
        // commands go where the registration says, as the control plane's do
        NodeRegistration registered = registrations.expectMessageClass(NodeRegistration.class, TIMEOUT);
        return new Agent(ref, registered.agent(), reports, registrations, settings.nodeName());
    }

    private VmId newVm(String name) {
        VmId vm = new VmId("nodetest", name + "-" + shortId());
        vms.add(vm);
        return vm;
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static StartDomain start(Agent agent, VmId vm, long incarnation) {
        return new StartDomain(agent.node(), vm, "uid-" + vm.name(), incarnation, SPEC, "req-start-" + incarnation);
    }

    /**
     * The next report about {@code vm}, which must be of type {@code type}. Reports about other VMs are
     * set aside for the calls that look for them (the agent reports many VMs to one probe).
     */
    private <T extends NodeReport> T expectReport(Agent agent, VmId vm, Class<T> type) {
        for (var it = setAside.iterator(); it.hasNext(); ) {
            NodeReport report = it.next();
            if (report.vm().equals(vm)) {
                it.remove();
                return assertInstanceOf(type, report, "report for " + vm);
            }
        }
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (true) {
            Duration left = Duration.ofNanos(deadline - System.nanoTime());
            if (left.isNegative()) {
                fail("no " + type.getSimpleName() + " for " + vm + " within " + TIMEOUT);
            }
            NodeReport report = agent.reports().receiveMessage(left);
            if (report.vm().equals(vm)) {
                return assertInstanceOf(type, report, "report for " + vm);
            }
            setAside.add(report);
        }
    }

    /** Asserts that no report about {@code vm} arrives for a while. */
    private void expectNoReport(Agent agent, VmId vm) {
        List<NodeReport> seen = new ArrayList<>(setAside);
        seen.addAll(reportsWithin(agent, QUIET));
        for (NodeReport report : seen) {
            if (report.vm().equals(vm)) {
                fail("unexpected report for " + vm + ": " + report);
            }
        }
    }

    private static List<NodeReport> reportsWithin(Agent agent, Duration window) {
        List<NodeReport> received = new ArrayList<>();
        long deadline = System.nanoTime() + window.toNanos();
        while (System.nanoTime() < deadline) {
            try {
                received.add(agent.reports().receiveMessage(Duration.ofNanos(Math.max(1, deadline - System.nanoTime()))));
            } catch (AssertionError timeout) {
                break;
            }
        }
        return received;
    }

    private static Optional<Domain> lookup(String name) throws LibvirtException {
        for (String defined : outside.listDefinedDomains()) {
            if (defined.equals(name)) {
                return Optional.of(outside.domainLookupByName(name));
            }
        }
        for (int id : outside.listDomains()) {
            Domain domain = outside.domainLookupByID(id);
            if (domain.getName().equals(name)) {
                return Optional.of(domain);
            }
        }
        return Optional.empty();
    }

    private static Domain domain(VmId vm) throws LibvirtException {
        return lookup(vm.domainName()).orElseThrow(() -> new AssertionError("no domain " + vm.domainName()));
    }

    private static DomainInfo.DomainState state(VmId vm) throws LibvirtException {
        return domain(vm).getInfo().state;
    }

    private static VireoMetadata metadataOf(VmId vm) throws LibvirtException {
        return DomainXml.metadata(domain(vm).getXMLDesc(0)).orElseThrow(() -> new AssertionError("no metadata"));
    }

    private static void awaitUndefined(VmId vm) throws Exception {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (lookup(vm.domainName()).isPresent()) {
            if (System.nanoTime() > deadline) {
                fail(vm.domainName() + " is still defined");
            }
            Thread.sleep(20);
        }
    }

    private Agent agentWithRunningVm(VmId vm, long incarnation) {
        Agent agent = startAgent();
        agent.tell(start(agent, vm, incarnation));
        expectReport(agent, vm, NodeReport.DomainStarted.class);
        return agent;
    }

    // ---- registration ----

    @Test
    void registersCapacityFromLibvirtAndRepeatsItEveryHeartbeat() throws Exception {
        TestProbe<NodeReport> reports = testKit.createTestProbe(NodeReport.class);
        TestProbe<NodeRegistration> registrations = testKit.createTestProbe(NodeRegistration.class);
        var settings = NodeAgentSettings.of("node-hb-" + shortId(), URI, Map.of("zone", "b"))
                .withHeartbeat(Duration.ofMillis(200));
        agents.add(testKit.spawn(NodeAgent.create(settings, reports.getRef(), registrations.getRef())));

        NodeRegistration first = registrations.expectMessageClass(NodeRegistration.class, TIMEOUT);
        org.libvirt.NodeInfo libvirt = outside.nodeInfo();
        assertEquals(settings.nodeName(), first.info().name());
        assertEquals(libvirt.cpus, first.info().cpus());
        assertEquals(libvirt.memory * 1024, first.info().memoryBytes());
        assertEquals(Map.of("zone", "b"), first.info().labels());
        assertEquals(URI, first.info().hypervisor());
        assertEquals("test", first.info().virtualization());
        assertTrue(first.info().ready());
        assertEquals(first, registrations.expectMessageClass(NodeRegistration.class, Duration.ofSeconds(2)));
        assertEquals(first, registrations.expectMessageClass(NodeRegistration.class, Duration.ofSeconds(2)));

        VmId vm = newVm("via-registration");
        first.agent().tell(new dev.vireo.protocol.node.NodeDelivery(1, new EnsureDomain(settings.nodeName(), vm, 1,
                "req-ensure")));
        NodeReport missing = reports.expectMessageClass(NodeReport.DomainMissing.class, TIMEOUT);
        assertEquals(vm, missing.vm());
    }

    @Test
    void capacityOverridesReplaceWhatLibvirtSays() {
        var settings = NodeAgentSettings.of("node-cap-" + shortId(), URI, Map.of()).withCapacity(3, 1L << 30);
        TestProbe<NodeRegistration> registrations = testKit.createTestProbe(NodeRegistration.class);
        agents.add(testKit.spawn(NodeAgent.create(settings, testKit.<NodeReport>createTestProbe().getRef(),
                registrations.getRef())));

        NodeRegistration registration = registrations.expectMessageClass(NodeRegistration.class, TIMEOUT);
        assertEquals(3, registration.info().cpus());
        assertEquals(1L << 30, registration.info().memoryBytes());
    }

    // ---- start ----

    @Test
    void startDomainDefinesAndStartsDomainNamedNamespaceUnderscoreName() throws Exception {
        VmId vm = newVm("web");
        Agent agent = startAgent();

        agent.tell(start(agent, vm, 4));

        var started = expectReport(agent, vm, NodeReport.DomainStarted.class);
        assertEquals(new NodeReport.DomainStarted(vm, agent.node(), 4), started);
        assertEquals("nodetest_" + vm.name(), domain(vm).getName());
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));
        assertEquals(new VireoMetadata(vm, "uid-" + vm.name(), 4), metadataOf(vm));
        assertEquals(1, domain(vm).isPersistent(), "Vireo defines its domains, they are not transient");
        expectNoReport(agent, vm);
    }

    @Test
    void startingTheRunningIncarnationAgainReportsStartedAgain() throws Exception {
        VmId vm = newVm("again");
        Agent agent = agentWithRunningVm(vm, 1);
        String uuid = domain(vm).getUUIDString();

        agent.tell(start(agent, vm, 1));

        assertEquals(new NodeReport.DomainStarted(vm, agent.node(), 1),
                expectReport(agent, vm, NodeReport.DomainStarted.class));
        assertEquals(uuid, domain(vm).getUUIDString(), "the same domain, not a new one");
    }

    @Test
    void startingAnotherIncarnationWhileOneRunsIsAFencingConflict() throws Exception {
        VmId vm = newVm("fenced");
        Agent agent = agentWithRunningVm(vm, 1);

        agent.tell(start(agent, vm, 2));

        var failed = expectReport(agent, vm, NodeReport.ActionFailed.class);
        assertEquals(2, failed.incarnation());
        assertEquals(NodeAction.StartDomain, failed.action());
        assertTrue(failed.message().contains("already runs incarnation 1"), failed.message());
        assertEquals(1, metadataOf(vm).incarnation());
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));
    }

    @Test
    void aStoppedDomainIsRedefinedWithTheNewIncarnationAndStarted() throws Exception {
        VmId vm = newVm("restart");
        Agent agent = agentWithRunningVm(vm, 1);
        domain(vm).destroy();
        expectReport(agent, vm, NodeReport.DomainCrashed.class);

        agent.tell(start(agent, vm, 2));

        assertEquals(new NodeReport.DomainStarted(vm, agent.node(), 2),
                expectReport(agent, vm, NodeReport.DomainStarted.class));
        assertEquals(2, metadataOf(vm).incarnation());
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));
    }

    @Test
    void aLibvirtFailureIsReportedAndTheAgentCarriesOn() throws Exception {
        VmId vm = newVm("broken");
        Agent agent = startAgent();
        var noCpus = new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(0), "64Mi", null, null, null, null, null);

        agent.tell(new StartDomain(agent.node(), vm, "uid", 1, noCpus, "req-broken"));

        var failed = expectReport(agent, vm, NodeReport.ActionFailed.class);
        assertEquals(NodeAction.StartDomain, failed.action());
        assertFalse(failed.message().isBlank());
        assertFalse(lookup(vm.domainName()).isPresent());

        agent.tell(start(agent, vm, 2));
        expectReport(agent, vm, NodeReport.DomainStarted.class);
    }

    // ---- reconcile and foreign domains ----

    @Test
    void reconcileReportsVireoDomainsFoundAtStart() throws Exception {
        VmId running = newVm("found-running");
        VmId paused = newVm("found-paused");
        VmId stopped = newVm("found-stopped");
        outside.domainDefineXML(DomainXml.build(running, "u-r", 3, SPEC, HypervisorKind.TEST)).create();
        Domain p = outside.domainDefineXML(DomainXml.build(paused, "u-p", 5, SPEC, HypervisorKind.TEST));
        p.create();
        p.suspend();
        outside.domainDefineXML(DomainXml.build(stopped, "u-s", 7, SPEC, HypervisorKind.TEST));

        Agent agent = startAgent();

        assertEquals(new NodeReport.DomainFound(running, agent.node(), 3, "u-r", DomainState.Running),
                expectReport(agent, running, NodeReport.DomainFound.class));
        assertEquals(new NodeReport.DomainFound(paused, agent.node(), 5, "u-p", DomainState.Paused),
                expectReport(agent, paused, NodeReport.DomainFound.class));
        assertEquals(new NodeReport.DomainFound(stopped, agent.node(), 7, "u-s", DomainState.Stopped),
                expectReport(agent, stopped, NodeReport.DomainFound.class));
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF, state(stopped), "reconcile starts nothing");
    }

    @Test
    void aDomainFoundAtStartIsWatchedLikeOneTheAgentStarted() throws Exception {
        VmId vm = newVm("adopted");
        outside.domainDefineXML(DomainXml.build(vm, "u", 3, SPEC, HypervisorKind.TEST)).create();
        Agent agent = startAgent();
        expectReport(agent, vm, NodeReport.DomainFound.class);

        domain(vm).destroy();

        assertEquals(new NodeReport.DomainCrashed(vm, agent.node(), 3, "Destroyed"),
                expectReport(agent, vm, NodeReport.DomainCrashed.class));
    }

    @Test
    void foreignDomainsAreLeftAlone() throws Exception {
        VmId vm = newVm("foreign");
        Domain foreign = outside.domainDefineXML("<domain type='test'><name>" + vm.domainName()
                + "</name><memory unit='MiB'>32</memory><os><type>hvm</type></os></domain>");
        foreign.create();
        String foreignXml = foreign.getXMLDesc(0);

        Agent agent = startAgent();
        for (NodeReport report : reportsWithin(agent, QUIET)) {
            assertFalse(report.vm().equals(vm) || report.vm().domainName().equals("test"),
                    "a foreign domain was reported: " + report);
        }

        agent.tell(new EnsureDomain(agent.node(), vm, 1, "req-ensure"));
        expectReport(agent, vm, NodeReport.DomainMissing.class);
        agent.tell(start(agent, vm, 1));
        var refused = expectReport(agent, vm, NodeReport.ActionFailed.class);
        assertTrue(refused.message().contains("Vireo did not create"), refused.message());
        agent.tell(new StopDomain(agent.node(), vm, 1, true, 0, "req-stop"));
        assertEquals("NotFound", expectReport(agent, vm, NodeReport.DomainStopped.class).reason());
        agent.tell(new RemoveDomain(agent.node(), vm, -1, "req-remove"));
        assertEquals("NotFound", expectReport(agent, vm, NodeReport.DomainStopped.class).reason());
        foreign.destroy();
        expectNoReport(agent, vm);

        assertEquals(foreignXml.replaceAll("<domain type='test' id='\\d+'>", ""),
                domain(vm).getXMLDesc(0).replaceAll("<domain type='test'>", ""), "foreign domain unchanged");
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING,
                outside.domainLookupByName("test").getInfo().state, "the test driver's own domain still runs");
    }

    // ---- stop and events from outside ----

    @Test
    void stopWithGracePeriodReportsStopped() throws Exception {
        VmId vm = newVm("graceful");
        Agent agent = agentWithRunningVm(vm, 1);

        agent.tell(new StopDomain(agent.node(), vm, 1, false, 5, "req-stop"));

        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 1, "Shutdown"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        awaitUndefined(vm);
        expectNoReport(agent, vm); // reported once, not again as a guest shutdown
    }

    @Test
    void forcedStopDestroysUndefinesAndReportsDestroyedOnce() throws Exception {
        VmId vm = newVm("forced");
        Agent agent = agentWithRunningVm(vm, 1);

        agent.tell(new StopDomain(agent.node(), vm, 1, true, 30, "req-stop"));

        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 1, "Destroyed"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        awaitUndefined(vm);
        expectNoReport(agent, vm); // not a second time as a crash
    }

    @Test
    void stoppingADomainThatIsGoneReportsNotFound() {
        VmId vm = newVm("gone");
        Agent agent = startAgent();

        agent.tell(new StopDomain(agent.node(), vm, 3, false, 5, "req-stop"));

        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 3, "NotFound"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
    }

    @Test
    void domainDestroyedOutsideVireoIsReportedAsCrash() throws Exception {
        VmId vm = newVm("killed");
        Agent agent = agentWithRunningVm(vm, 2);

        domain(vm).destroy();

        assertEquals(new NodeReport.DomainCrashed(vm, agent.node(), 2, "Destroyed"),
                expectReport(agent, vm, NodeReport.DomainCrashed.class));
        expectNoReport(agent, vm);
    }

    @Test
    void guestShutdownIsReportedAsStoppedAndTheDomainUndefined() throws Exception {
        VmId vm = newVm("poweroff");
        Agent agent = agentWithRunningVm(vm, 1);

        domain(vm).shutdown();

        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 1, "Shutdown"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        awaitUndefined(vm);
        expectNoReport(agent, vm);
    }

    // ---- pause and resume ----

    @Test
    void pauseAndResumeAreReportedOnceEach() throws Exception {
        VmId vm = newVm("pausing");
        Agent agent = agentWithRunningVm(vm, 1);

        agent.tell(new PauseDomain(agent.node(), vm, 1, "req-pause"));
        assertEquals(new NodeReport.DomainPaused(vm, agent.node(), 1), expectReport(agent, vm, NodeReport.DomainPaused.class));
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_PAUSED, state(vm));
        expectNoReport(agent, vm);

        agent.tell(new ResumeDomain(agent.node(), vm, 1, "req-resume"));
        assertEquals(new NodeReport.DomainResumed(vm, agent.node(), 1), expectReport(agent, vm, NodeReport.DomainResumed.class));
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));
        expectNoReport(agent, vm);
    }

    @Test
    void pauseAndResumeOutsideVireoAreReported() throws Exception {
        VmId vm = newVm("paused-outside");
        Agent agent = agentWithRunningVm(vm, 1);

        domain(vm).suspend();
        expectReport(agent, vm, NodeReport.DomainPaused.class);
        domain(vm).resume();
        expectReport(agent, vm, NodeReport.DomainResumed.class);
    }

    @Test
    void pausingAnotherIncarnationFailsAndLeavesTheDomainRunning() throws Exception {
        VmId vm = newVm("pause-stale");
        Agent agent = agentWithRunningVm(vm, 2);

        agent.tell(new PauseDomain(agent.node(), vm, 1, "req-pause"));

        var failed = expectReport(agent, vm, NodeReport.ActionFailed.class);
        assertEquals(NodeAction.PauseDomain, failed.action());
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));
    }

    // ---- ensure and remove ----

    @Test
    void ensureReportsWhatTheNodeHasAndNeverStartsAnything() throws Exception {
        VmId vm = newVm("ensure");
        Agent agent = startAgent();

        agent.tell(new EnsureDomain(agent.node(), vm, 1, "req-ensure-1"));
        assertEquals(new NodeReport.DomainMissing(vm, agent.node(), 1), expectReport(agent, vm, NodeReport.DomainMissing.class));
        assertFalse(lookup(vm.domainName()).isPresent());

        outside.domainDefineXML(DomainXml.build(vm, "u-e", 1, SPEC, HypervisorKind.TEST));
        agent.tell(new EnsureDomain(agent.node(), vm, 1, "req-ensure-2"));
        assertEquals(new NodeReport.DomainFound(vm, agent.node(), 1, "u-e", DomainState.Stopped),
                expectReport(agent, vm, NodeReport.DomainFound.class));
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_SHUTOFF, state(vm));
    }

    @Test
    void removeDomainOnlyRemovesTheGivenIncarnation() throws Exception {
        VmId vm = newVm("remove");
        Agent agent = agentWithRunningVm(vm, 2);

        agent.tell(new RemoveDomain(agent.node(), vm, 1, "req-remove-1"));
        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 1, "NotFound"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        assertEquals(DomainInfo.DomainState.VIR_DOMAIN_RUNNING, state(vm));

        agent.tell(new RemoveDomain(agent.node(), vm, 2, "req-remove-2"));
        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 2, "Removed"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        awaitUndefined(vm);
        expectNoReport(agent, vm);
    }

    @Test
    void removeWithNegativeIncarnationRemovesWhateverIncarnationIsThere() throws Exception {
        VmId vm = newVm("orphan");
        Agent agent = agentWithRunningVm(vm, 9);

        agent.tell(new RemoveDomain(agent.node(), vm, -1, "req-remove"));

        assertEquals(new NodeReport.DomainStopped(vm, agent.node(), 9, "Removed"),
                expectReport(agent, vm, NodeReport.DomainStopped.class));
        awaitUndefined(vm);
    }

    // ---- events across agents ----

    @Test
    void lifecycleEventsKeepReachingNewAgentsWhileOldAgentsStopAmidOtherEvents() throws Exception {
        VmId churn = newVm("churn");
        String churnXml = DomainXml.build(churn, "u", 1, SPEC, HypervisorKind.TEST);
        var stop = new java.util.concurrent.atomic.AtomicBoolean();
        // Another client keeps libvirt busy with events while agents come and go.
        Thread noise = new Thread(() -> {
            while (!stop.get()) {
                try {
                    outside.domainDefineXML(churnXml).undefine();
                } catch (LibvirtException e) {
                    return;
                }
            }
        });
        noise.start();
        try {
            for (int round = 0; round < 40; round++) {
                VmId vm = newVm("round" + round);
                Agent agent = agentWithRunningVm(vm, round);
                domain(vm).destroy();
                assertEquals(new NodeReport.DomainCrashed(vm, agent.node(), round, "Destroyed"),
                        expectReport(agent, vm, NodeReport.DomainCrashed.class));
                agents.remove(agent.actor());
                testKit.stop(agent.actor());
            }
        } finally {
            stop.set(true);
            noise.join();
        }
    }

    /**
     * Every event the agent's own calls cause is known to its actor before the event arrives (the steps on the pool
     * tell it what they expect, through its mailbox, before they call libvirt): none is taken for one from outside.
     */
    @Test
    void eventsTheAgentCausesAreNeverReportedAsEventsFromOutside() throws Exception {
        Agent agent = startAgent();
        List<VmId> vms = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            VmId vm = newVm("own-" + i);
            vms.add(vm);
            agent.tell(start(agent, vm, 1));
            agent.tell(new PauseDomain(agent.node(), vm, 1, "req-pause"));
            agent.tell(new ResumeDomain(agent.node(), vm, 1, "req-resume"));
            agent.tell(new StopDomain(agent.node(), vm, 1, true, 0, "req-stop"));
        }
        for (VmId vm : vms) {
            expectReport(agent, vm, NodeReport.DomainStarted.class);
            expectReport(agent, vm, NodeReport.DomainPaused.class);
            expectReport(agent, vm, NodeReport.DomainResumed.class);
            assertEquals("Destroyed", expectReport(agent, vm, NodeReport.DomainStopped.class).reason());
        }
        agent.reports().expectNoMessage(Duration.ofSeconds(1));
        assertTrue(setAside.isEmpty(), "reports nobody asked for: " + setAside);
    }

    // ---- ordering ----

    @Test
    void commandsForOneVmAreCarriedOutInTheOrderSent() throws Exception {
        VmId vm = newVm("ordered");
        Agent agent = startAgent();

        agent.tell(start(agent, vm, 1));
        agent.tell(new PauseDomain(agent.node(), vm, 1, "req-pause"));
        agent.tell(new ResumeDomain(agent.node(), vm, 1, "req-resume"));
        agent.tell(new StopDomain(agent.node(), vm, 1, false, 5, "req-stop"));
        agent.tell(new EnsureDomain(agent.node(), vm, 1, "req-ensure"));

        expectReport(agent, vm, NodeReport.DomainStarted.class);
        expectReport(agent, vm, NodeReport.DomainPaused.class);
        expectReport(agent, vm, NodeReport.DomainResumed.class);
        assertEquals("Shutdown", expectReport(agent, vm, NodeReport.DomainStopped.class).reason());
        expectReport(agent, vm, NodeReport.DomainMissing.class);
        expectNoReport(agent, vm);
    }
}
