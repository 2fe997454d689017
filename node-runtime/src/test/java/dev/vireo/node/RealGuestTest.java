package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vireo.protocol.node.DomainState;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeAgentCommand.DeleteVmFiles;
import dev.vireo.protocol.node.NodeAgentCommand.RemoveDomain;
import dev.vireo.protocol.node.NodeAgentCommand.StartDomain;
import dev.vireo.protocol.node.NodeAgentCommand.StopDomain;
import dev.vireo.protocol.node.NodeRegistration;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.testkit.LibvirtSocketProxy;
import dev.vireo.testkit.Prerequisite;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;

/**
 * The node agent with real QEMU guests through {@code qemu:///system} (TCG on machines where KVM does
 * not run guests). Skipped when no libvirt daemon answers; {@code bin/test} starts one. Each boot costs
 * seconds (a minute on a loaded machine), so one test walks a guest through most of its life.
 */
class RealGuestTest {

    private static final String URI = HypervisorChoice.QEMU_SYSTEM;
    private static final Duration BOOT = Duration.ofSeconds(180);
    private static final Duration ACTION = Duration.ofSeconds(150);
    private static final String BOOTED = "VIREO-TEST-GUEST booted";

    private static ActorTestKit testKit;
    private static Connect outside;
    private static Path guest;
    private static Path data;

    private final List<ActorRef<NodeAgent.Message>> agents = new ArrayList<>();
    private final List<VmId> vms = new ArrayList<>();

    @BeforeAll
    static void start() throws Exception {
        String why = daemonAnswers();
        Prerequisite.require(why == null, "no libvirt daemon answers at " + URI + " (" + why + "): real-guest tests"
                + " skipped; start one with `virtlogd -d; libvirtd -d` (bin/test does) to run them");
        guest = buildTestGuest();
        data = Files.createTempDirectory(Path.of("/var/tmp"), "vireo-node-test-");
        // QEMU runs as libvirt's user: it must reach the overlays through the data directory.
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
        testKit = ActorTestKit.create();
        outside = new Connect(URI);
    }

    @AfterAll
    static void stop() throws Exception {
        if (testKit != null) {
            testKit.shutdownTestKit();
        }
        if (outside != null) {
            outside.close();
        }
        if (data != null) {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @AfterEach
    void cleanUp() throws LibvirtException {
        agents.forEach(testKit::stop);
        for (VmId vm : vms) {
            try {
                Domain left = outside.domainLookupByName(vm.domainName());
                if (left.isActive() == 1) {
                    left.destroy();
                }
                left.undefine();
            } catch (LibvirtException gone) {
                // not there: fine
            }
        }
    }

    // ---- the tests ----

    @Test
    void aGuestBootsOnItsOverlayShutsDownByAcpiRebootsOnTheSameDiskIsAdoptedAndItsCrashIsReported() throws Exception {
        Path base = data.resolve("base.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", base.toString(), "16M");
        String baseSum = sha256(base);
        Agent agent = startAgent("node-life");
        String virt = agent.info().virtualization();
        assertTrue(virt.equals("kvm") || virt.equals("tcg"), virt);
        if (!Files.exists(Path.of("/dev/kvm"))) {
            assertEquals("tcg", virt);
        }
        VmId vm = newVm("life");
        VmFiles files = VmFiles.of(data, vm);
        String uid = UUID.randomUUID().toString();
        VirtualMachineSpec spec = spec(new VirtualMachineSpec.Disk("root", base.toString()));

        long asked = System.nanoTime();
        agent.tell(new StartDomain(agent.node(), vm, uid, 1, spec, "start-1"));
        agent.expect(vm, NodeReport.DomainStarted.class, BOOT);
        long started = System.nanoTime();
        awaitConsole(files, BOOTED);
        long booted = System.nanoTime();
        awaitConsole(files, "boot-count 1");
        long pid = qemuPid(vm);
        System.out.printf("[real guest] start returned %d ms, first console line %d ms after the command; "
                        + "QEMU RSS %d MiB (96 MiB guest, %s)%n", ms(started - asked), ms(booted - asked),
                rssKib(pid) / 1024, agent.info().virtualization());
        assertTrue(Files.exists(files.overlay("root")), "overlay created on first start");
        assertTrue(run("qemu-img", "info", "-U", files.overlay("root").toString()).contains(base.toString()),
                "the overlay is backed by the base image");
        assertEquals(uid, outside.domainLookupByName(vm.domainName()).getUUIDString(), "the VM's uid is its UUID");
        assertTrue(outside.domainLookupByName(vm.domainName()).getXMLDesc(0)
                .startsWith("<domain type='" + (virt.equals("kvm") ? "kvm" : "qemu") + "'"), "runs as the node says");

        long stopAsked = System.nanoTime();
        agent.tell(new StopDomain(agent.node(), vm, 1, false, 120, "stop-1"));
        NodeReport.DomainStopped stopped = agent.expect(vm, NodeReport.DomainStopped.class, ACTION);
        assertEquals("Shutdown", stopped.reason(), "the guest powered off on ACPI before the grace period ended");
        System.out.printf("[real guest] ACPI shutdown took %d ms%n", ms(System.nanoTime() - stopAsked));
        assertTrue(Files.exists(files.overlay("root")), "the overlay outlives a stop");

        agent.tell(new StartDomain(agent.node(), vm, uid, 2, spec, "start-2"));
        agent.expect(vm, NodeReport.DomainStarted.class, BOOT);
        awaitConsole(files, "boot-count 2"); // the guest read what it wrote in its first life: same overlay
        assertFalse(Files.readString(files.consoleLog()).contains("boot-count 1"), "the log starts at this boot");
        assertEquals(uid, outside.domainLookupByName(vm.domainName()).getUUIDString(), "one UUID for life");

        // Vireo restarts while the guest runs: the new agent adopts it, nothing boots twice.
        Domain running = outside.domainLookupByName(vm.domainName());
        int domainId = running.getID();
        long qemu = qemuPid(vm);
        testKit.stop(agent.actor());
        Agent again = startAgent("node-life");
        NodeReport.DomainFound found = again.expect(vm, NodeReport.DomainFound.class, ACTION);
        assertEquals(2, found.incarnation());
        assertEquals(DomainState.Running, found.state());
        again.tell(new StartDomain(again.node(), vm, uid, 2, spec, "start-2-again"));
        again.expect(vm, NodeReport.DomainStarted.class, ACTION);
        assertEquals(domainId, outside.domainLookupByName(vm.domainName()).getID(), "same domain, not a new one");
        assertEquals(qemu, qemuPid(vm), "same QEMU process");
        assertEquals(1, qemuProcesses(vm), "exactly one QEMU for the VM");

        // QEMU dies: that is a crash, reported by the agent that adopted the guest.
        run("kill", "-9", Long.toString(qemu));
        NodeReport.DomainCrashed crashed = again.expect(vm, NodeReport.DomainCrashed.class, ACTION);
        assertEquals(2, crashed.incarnation());
        System.out.printf("[real guest] kill -9 of QEMU reported as DomainCrashed(%s)%n", crashed.reason());

        again.tell(new RemoveDomain(again.node(), vm, -1, "remove"));
        again.expect(vm, NodeReport.DomainStopped.class, ACTION);
        again.tell(new DeleteVmFiles(again.node(), vm, uid, "delete-files"));
        awaitGone(files.directory());
        assertEquals(baseSum, sha256(base), "the base image is never written");
    }

    @Test
    void aGuestThatIgnoresAcpiIsDestroyedAfterTheGracePeriod() throws Exception {
        Agent agent = startAgent("node-grace");
        VmId vm = newVm("deaf");
        // No kernel: SeaBIOS looks for a boot disk and has no ACPI power button handling.
        agent.tell(new StartDomain(agent.node(), vm, UUID.randomUUID().toString(), 1, spec(), "start"));
        agent.expect(vm, NodeReport.DomainStarted.class, BOOT);

        long asked = System.nanoTime();
        agent.tell(new StopDomain(agent.node(), vm, 1, false, 2, "stop"));
        NodeReport.DomainStopped stopped = agent.expect(vm, NodeReport.DomainStopped.class, ACTION);
        assertEquals("Destroyed", stopped.reason());
        assertTrue(ms(System.nanoTime() - asked) >= 2000, "not before the grace period ended");
    }

    @Test
    void aLostLibvirtConnectionMakesTheNodeNotReadyAndTheReconnectReconcilesItsDomains() throws Exception {
        Path socket = data.resolve("proxy-" + shortId() + ".sock");
        LibvirtSocketProxy proxy = LibvirtSocketProxy.start(socket);
        String uri = "qemu+unix:///system?socket=" + socket;
        Agent agent = startAgent(NodeAgentSettings.of("node-proxy", uri, Map.of())
                .withHeartbeat(Duration.ofMillis(500)).withDataDirectory(data));
        VmId vm = newVm("through-proxy");
        agent.tell(new StartDomain(agent.node(), vm, UUID.randomUUID().toString(), 1, spec(), "start"));
        agent.expect(vm, NodeReport.DomainStarted.class, BOOT);

        proxy.close(); // the daemon is unreachable for the agent
        awaitRegistration(agent, false);
        proxy = LibvirtSocketProxy.start(socket);
        try {
            awaitRegistration(agent, true);
            NodeReport.DomainFound found = agent.expect(vm, NodeReport.DomainFound.class, ACTION);
            assertEquals(DomainState.Running, found.state());
            assertEquals(1, found.incarnation());
        } finally {
            proxy.close();
        }
    }

    // ---- helpers ----

    private static final java.util.concurrent.atomic.AtomicLong DELIVERIES = new java.util.concurrent.atomic.AtomicLong();

    private record Agent(ActorRef<NodeAgent.Message> actor, ActorRef<dev.vireo.protocol.node.NodeDelivery> deliveries,
                         String node, TestProbe<NodeReport> reports,
                         TestProbe<NodeRegistration> registrations, dev.vireo.protocol.node.NodeInfo info) {
        /** As the control plane sends it: numbered, to the address the agent registered. */
        void tell(NodeAgentCommand command) {
            deliveries.tell(new dev.vireo.protocol.node.NodeDelivery(DELIVERIES.incrementAndGet(), command));
        }

        /** The next report about {@code vm}, which must be of {@code type}; reports about others are skipped. */
        <T extends NodeReport> T expect(VmId vm, Class<T> type, Duration within) {
            long deadline = System.nanoTime() + within.toNanos();
            while (true) {
                Duration left = Duration.ofNanos(deadline - System.nanoTime());
                if (left.isNegative()) {
                    fail("no " + type.getSimpleName() + " for " + vm + " within " + within);
                }
                NodeReport report = reports.receiveMessage(left);
                if (report.vm().equals(vm)) {
                    return assertInstanceOf(type, report, "report for " + vm);
                }
            }
        }
    }

    private Agent startAgent(String node) {
        return startAgent(NodeAgentSettings.of(node, URI, Map.of()).withDataDirectory(data));
    }

    private Agent startAgent(NodeAgentSettings settings) {
        TestProbe<NodeReport> reports = testKit.createTestProbe(NodeReport.class);
        TestProbe<NodeRegistration> registrations = testKit.createTestProbe(NodeRegistration.class);
        ActorRef<NodeAgent.Message> ref = testKit.spawn(NodeAgent.create(settings, reports.getRef(),
                registrations.getRef()));
        agents.add(ref);
        // Connecting includes the KVM probe (bounded) and, on a loaded machine, a slow first libvirt call.
        NodeRegistration first = registrations.expectMessageClass(NodeRegistration.class, ACTION);
        assertTrue(first.info().ready());
        return new Agent(ref, first.agent(), settings.nodeName(), reports, registrations, first.info());
    }

    private static void awaitRegistration(Agent agent, boolean ready) {
        long deadline = System.nanoTime() + ACTION.toNanos();
        while (System.nanoTime() < deadline) {
            NodeRegistration r = agent.registrations().receiveMessage(Duration.ofNanos(deadline - System.nanoTime()));
            if (r.info().ready() == ready) {
                return;
            }
        }
        fail("node " + agent.node() + " did not register ready=" + ready + " within " + ACTION);
    }

    private VmId newVm(String name) {
        VmId vm = new VmId("guesttest", name + "-" + shortId());
        vms.add(vm);
        return vm;
    }

    private static VirtualMachineSpec spec(VirtualMachineSpec.Disk... disks) {
        return new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(1), "96Mi",
                disks.length == 0 ? null : new VirtualMachineSpec.Boot(guest.resolve("vmlinuz").toString(),
                        guest.resolve("initrd.img").toString(), "console=ttyS0 quiet panic=-1"),
                List.of(disks), null, null, 30);
    }

    private static void awaitConsole(VmFiles files, String text) throws Exception {
        long deadline = System.nanoTime() + BOOT.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(files.consoleLog()) && Files.readString(files.consoleLog(), StandardCharsets.ISO_8859_1)
                    .contains(text)) {
                return;
            }
            Thread.sleep(100);
        }
        fail("'" + text + "' did not appear on the console within " + BOOT + "; log: "
                + (Files.exists(files.consoleLog()) ? Files.readString(files.consoleLog(), StandardCharsets.ISO_8859_1) : "none"));
    }

    private static void awaitGone(Path path) throws InterruptedException {
        long deadline = System.nanoTime() + ACTION.toNanos();
        while (Files.exists(path)) {
            if (System.nanoTime() > deadline) {
                fail(path + " still exists");
            }
            Thread.sleep(50);
        }
    }

    private static long qemuPid(VmId vm) throws IOException {
        return Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu/" + vm.domainName() + ".pid")).trim());
    }

    private static long qemuProcesses(VmId vm) {
        String marker = "guest=" + vm.domainName() + ",";
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains("qemu-system") && c.contains(marker)).orElse(false))
                .count();
    }

    private static long rssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static long ms(long nanos) {
        return TimeUnit.NANOSECONDS.toMillis(nanos);
    }

    private static String shortId() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    /** null when the daemon answers, else why not. */
    private static String daemonAnswers() {
        if (!Files.exists(Path.of("/run/libvirt/libvirt-sock"))) {
            return "no socket /run/libvirt/libvirt-sock";
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    Connect c = new Connect(URI);
                    c.getLibVirVersion();
                    c.close();
                    return (String) null;
                } catch (LibvirtException e) {
                    return e.getMessage();
                }
            }).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return e.toString();
        }
    }

    private static Path buildTestGuest() throws Exception {
        Path script = Path.of("src/test/guest/build-test-guest.sh").toAbsolutePath();
        Path dir = Path.of("/var/tmp/vireo-test-guest");
        run(script.toString(), dir.toString());
        return dir;
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
