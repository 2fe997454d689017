package dev.vireo.protocol.node;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Node commands and reports cross JVMs in a cluster: each survives a CBOR round trip unchanged. */
class NodeMessageSerializationTest {

    private static final ObjectMapper CBOR = CBORMapper.builder().build()
            .registerModule(new JavaTimeModule()).registerModule(new Jdk8Module());
    private static final VmId VM = new VmId("team-a", "web-1");

    private static <T> T roundTrip(T value, Class<? super T> as) throws Exception {
        @SuppressWarnings("unchecked")
        T back = (T) CBOR.readValue(CBOR.writeValueAsBytes(value), as);
        return back;
    }

    @Test
    void everyNodeAgentCommandSurvivesARoundTrip() throws Exception {
        VirtualMachineSpec spec = new VirtualMachineSpec(RunStrategy.Always, new VirtualMachineSpec.Cpu(2), "1Gi",
                new VirtualMachineSpec.Boot("/images/vmlinuz", null, "console=ttyS0"),
                List.of(new VirtualMachineSpec.Disk("root", "/images/root.qcow2")), Map.of("zone", "a"),
                VirtualMachineSpec.EvictionStrategy.LiveMigrate, 10);
        for (NodeAgentCommand command : List.of(
                new NodeAgentCommand.StartDomain("n", VM, "uid", 3, spec, "r"),
                new NodeAgentCommand.StopDomain("n", VM, 3, true, 30, "r"),
                new NodeAgentCommand.PauseDomain("n", VM, 3, "r"),
                new NodeAgentCommand.ResumeDomain("n", VM, 3, "r"),
                new NodeAgentCommand.EnsureDomain("n", VM, 3, "r"),
                new NodeAgentCommand.RemoveDomain("n", VM, -1, "r"),
                new NodeAgentCommand.DeleteVmFiles("n", VM, "uid", "r"),
                new NodeAgentCommand.RestoreSnapshot("n", VM, "uid", 3, "s1",
                        dev.vireo.protocol.vm.RestorePolicy.ResumeFromMemory, spec, "r", "other-node"))) {
            assertEquals(command, roundTrip(command, NodeAgentCommand.class));
        }
    }

    @Test
    void everyNodeReportSurvivesARoundTripAlsoInsideAVmCommand() throws Exception {
        for (NodeReport report : List.of(
                new NodeReport.DomainStarted(VM, "n", 1),
                new NodeReport.DomainStopped(VM, "n", 1, "Shutdown"),
                new NodeReport.DomainCrashed(VM, "n", 1, "Crashed"),
                new NodeReport.DomainPaused(VM, "n", 1),
                new NodeReport.DomainResumed(VM, "n", 1),
                new NodeReport.DomainFound(VM, "n", 1, "uid", DomainState.Running),
                new NodeReport.DomainMissing(VM, "n", 1),
                new NodeReport.ActionFailed(VM, "n", 1, NodeAction.StartDomain, "boom"))) {
            assertEquals(report, roundTrip(report, NodeReport.class));
            VmCommand command = new VmCommand.ReportFromNode("r", report);
            assertEquals(command, roundTrip(command, VmCommand.class));
        }
    }

    @Test
    void snapshotFileAnswersSurviveARoundTrip() throws Exception {
        NodeSnapshotFiles.Listing listing = new NodeSnapshotFiles.Listing("n", true,
                List.of(new NodeSnapshotFiles.FileEntry("disk-root.qcow2", 393216),
                        new NodeSnapshotFiles.FileEntry("memory.state", 72_000_000)), null);
        assertEquals(listing, roundTrip(listing, NodeSnapshotFiles.Listing.class));
        NodeSnapshotFiles.Chunk chunk = new NodeSnapshotFiles.Chunk("n", true, 131072, new byte[] {1, 2, 3});
        NodeSnapshotFiles.Chunk back = roundTrip(chunk, NodeSnapshotFiles.Chunk.class);
        assertEquals(131072, back.position());
        assertEquals(List.of((byte) 1, (byte) 2, (byte) 3), List.of(back.bytes()[0], back.bytes()[1], back.bytes()[2]));
    }

    @Test
    void nodeInfoSurvivesARoundTrip() throws Exception {
        NodeInfo info = new NodeInfo("n", 16, 3L << 30, Map.of("zone", "a"), "test:///default", "test", true);
        assertEquals(info, roundTrip(info, NodeInfo.class));
        NodeInfo full = new NodeInfo("n", 16, 3L << 30, Map.of("zone", "a"), "qemu:///system", "tcg", true,
                "uuid@qemu:///system", "qemu+unix:///system?socket=/n/run/libvirt-sock", new NodeImages("/images",
                List.of(new NodeImages.ImageFile("vmlinuz", 8, "ab12"), new NodeImages.ImageFile("d/x.qcow2", 9, null))));
        assertEquals(full, roundTrip(full, NodeInfo.class));
    }

    @Test
    void leaseConsoleDeliveryAndNodeEventsSurviveARoundTrip() throws Exception {
        for (NodeLease.Answer answer : List.<NodeLease.Answer>of(new NodeLease.Granted("n", 6000),
                new NodeLease.Revoked("n", true, "lost"))) {
            assertEquals(answer, roundTrip(answer, NodeLease.Answer.class));
        }
        NodeLease.Held held = new NodeLease.Held(VM, 4);
        NodeLease.Ownership ownership = new NodeLease.Ownership(List.of(held), List.of(new NodeLease.Held(VM, 3)),
                List.of(), 17, false, null);
        assertEquals(ownership, roundTrip(ownership, NodeLease.Ownership.class));
        NodeDelivery delivery = new NodeDelivery(42, new NodeAgentCommand.RemoveDomain("n", VM, 3, "r"));
        assertEquals(delivery, roundTrip(delivery, NodeDelivery.class));
        NodeConsole.Chunk chunk = new NodeConsole.Chunk("n", true, "(dev=1,ino=2)", 10, new byte[]{1, 2, 3}, 13, 99);
        NodeConsole.Chunk back = roundTrip(chunk, NodeConsole.Chunk.class);
        assertEquals(List.of(chunk.fileKey(), chunk.position(), chunk.size()), List.of(back.fileKey(), back.position(),
                back.size()));
        org.junit.jupiter.api.Assertions.assertArrayEquals(chunk.bytes(), back.bytes());
        dev.vireo.protocol.vm.EventMeta meta = new dev.vireo.protocol.vm.EventMeta(java.time.Instant.parse(
                "2026-12-01T10:00:00Z"), "r", "system:scheduler");
        for (NodeEvent event : List.of(
                new NodeEvent.NodeJoined(meta, "n", "pekko://vireo@127.0.0.1:1", 16, 1L << 30, Map.of("a", "b"),
                        "test:///default", "test:///default"),
                new NodeEvent.NodeReady(meta, "n"),
                new NodeEvent.NodeNotReady(meta, "n", "renewals overdue"),
                new NodeEvent.NodeLost(meta, "n", "no renewal", List.of("default/a")),
                new NodeEvent.NodeCordoned(meta, "n"),
                new NodeEvent.NodeUncordoned(meta, "n"))) {
            assertEquals(event, roundTrip(event, NodeEvent.class));
        }
    }
}
