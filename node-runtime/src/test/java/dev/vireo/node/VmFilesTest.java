package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.node.DomainStep.Done;
import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeAgentCommand.DeleteVmFiles;
import dev.vireo.protocol.node.NodeAgentCommand.RemoveDomain;
import dev.vireo.protocol.node.NodeAgentCommand.StartDomain;
import dev.vireo.protocol.node.NodeReport;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A VM's files on its node belong to the VM's uid: a VM deleted and created again under the same name
 * has the same directory, and a late DeleteVmFiles of the deleted VM must leave the new VM's files.
 * DeleteVmFiles runs as the agent runs it, on libvirt's test driver.
 */
class VmFilesTest {

    private static final String NODE = "node-files";
    private static final VirtualMachineSpec SPEC =
            new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(1), "64Mi", null, null, null, null, null);

    @TempDir
    Path data;
    private final VmId vm = new VmId("filestest", "web-" + UUID.randomUUID().toString().substring(0, 8));
    private Hypervisor hypervisor;
    private DomainOperations operations;

    @BeforeEach
    void open() throws Exception {
        hypervisor = Hypervisor.open("test:///default", NODE, data);
        AppliedAtOnce owned = new AppliedAtOnce(new OwnedDomains());
        operations = new DomainOperations(NODE, owned, data, Lease.unlimited(), new ImageFiles(null),
                new LiveMigrations(NODE, data, new ImageFiles(null), owned, "127.0.0.1", null, report -> { }));
    }

    @AfterEach
    void close() throws Exception {
        run(new RemoveDomain(NODE, vm, -1, "cleanup"));
        hypervisor.closeQuietly((domain, event) -> 0);
    }

    @Test
    void aLateDeleteOfADeletedVmLeavesTheFilesOfTheVmCreatedAgainUnderItsName() throws Exception {
        VmFiles files = VmFiles.of(data, vm);
        boot(files, "uid-deleted");
        boot(files, "uid-created-again");

        assertEquals(List.of(), run(new DeleteVmFiles(NODE, vm, "uid-deleted", "late-delete")).reports());
        assertTrue(Files.exists(files.overlay("root")), "the overlay of the VM created again stays");
        assertTrue(Files.exists(files.consoleLog()), "its console log stays");

        assertEquals(List.of(), run(new DeleteVmFiles(NODE, vm, "uid-created-again", "delete")).reports());
        assertFalse(Files.exists(files.directory()), "deleted for the VM they belong to");
    }

    @Test
    void aLateDeleteOfADeletedVmDoesNotFailOnTheRunningDomainOfTheVmCreatedAgain() throws Exception {
        VmFiles files = VmFiles.of(data, vm);
        boot(files, "uid-created-again");
        assertInstanceOf(NodeReport.DomainStarted.class,
                run(new StartDomain(NODE, vm, "uid-created-again", 1, SPEC, "start")).reports().get(0));

        assertEquals(List.of(), run(new DeleteVmFiles(NODE, vm, "uid-deleted", "late-delete")).reports());
        assertTrue(Files.exists(files.overlay("root")));

        NodeReport refused = run(new DeleteVmFiles(NODE, vm, "uid-created-again", "delete")).reports().get(0);
        assertTrue(((NodeReport.ActionFailed) refused).message().contains("still runs"), refused.toString());
        assertTrue(Files.exists(files.overlay("root")), "a running QEMU keeps its files");
    }

    @Test
    void filesWithoutARecordedOwnerGoWithAnyDelete() throws Exception {
        VmFiles files = VmFiles.of(data, vm);
        files.createDirectory();
        Files.writeString(files.consoleLog(), "from a start without a uid");

        assertEquals(Optional.empty(), files.owner());
        assertTrue(files.deleteIfOwnedBy("any-uid"));
        assertFalse(Files.exists(files.directory()));
    }

    @Test
    void aDeleteThatNamesNoUidKeepsFilesThatAVmOwns() throws Exception {
        VmFiles files = VmFiles.of(data, vm);
        boot(files, "uid-owner");

        assertFalse(files.deleteIfOwnedBy(null));
        assertTrue(Files.exists(files.overlay("root")));
    }

    /** What a start on a QEMU node leaves: the directory claimed by the uid, an overlay and a console log. */
    private static void boot(VmFiles files, String uid) throws Exception {
        GuestFiles.prepare(files, uid, SPEC);
        Files.writeString(files.overlay("root"), "overlay of " + uid);
        Files.writeString(files.consoleLog(), "console of " + uid);
    }

    private Done run(NodeAgentCommand command) throws Exception {
        return (Done) operations.stepFor(command).run(hypervisor);
    }

    /** The steps run on this thread here: what they change of the agent's domains is applied at once. */
    record AppliedAtOnce(OwnedDomains owned) implements OwnedDomains.Changes {
        @Override
        public void put(String domainName, OwnedDomains.Owned domain) {
            owned.put(domainName, domain);
        }

        @Override
        public void remove(String domainName) {
            owned.remove(domainName);
        }

        @Override
        public java.util.concurrent.CompletionStage<Void> arrived(String uuid, org.libvirt.event.DomainEventType type) {
            return java.util.concurrent.CompletableFuture.completedFuture(null); // no event reaches these tests
        }

        @Override
        public void expect(String uuid, org.libvirt.event.DomainEventType type) {
            owned.expect(uuid, type);
        }

        @Override
        public void unexpect(String uuid, org.libvirt.event.DomainEventType type) {
            owned.unexpect(uuid, type);
        }

        @Override
        public void clearExpectations(String uuid) {
            owned.clearExpectations(uuid);
        }
    }

    @Test
    void aVmThatMovedAwayLeavesItsSnapshotsAndUidOnlyAndNothingWithoutSnapshots() throws Exception {
        VmFiles files = VmFiles.of(data, vm);
        Files.createDirectories(files.directory().resolve("snapshots").resolve("s1"));
        Files.createDirectories(files.directory().resolve("snapshots").resolve("s2.part"));
        Files.writeString(files.overlay("root"), "overlay");
        Files.writeString(files.consoleLog(), "log");
        files.recordOwner("uid-1");
        assertFalse(files.leaveOnlySnapshotsIfOwnedBy("uid-other"), "another VM's files are kept");
        assertTrue(Files.exists(files.overlay("root")));

        assertTrue(files.leaveOnlySnapshotsIfOwnedBy("uid-1"));
        assertTrue(Files.isDirectory(files.directory().resolve("snapshots").resolve("s1")));
        assertFalse(Files.exists(files.overlay("root")));
        assertFalse(Files.exists(files.consoleLog()));
        assertEquals(Optional.of("uid-1"), files.owner());

        SnapshotFiles.deleteTree(files.directory().resolve("snapshots").resolve("s1")); // only a half one left
        assertTrue(files.leaveOnlySnapshotsIfOwnedBy("uid-1"));
        assertFalse(Files.exists(files.directory()), "without a snapshot nothing stays");
    }
}
