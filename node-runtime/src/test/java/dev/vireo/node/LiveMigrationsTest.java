package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.MigrationPolicy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the target runs: the source's domain with the target's paths and the target's incarnation. */
class LiveMigrationsTest {

    static final VmId VM = new VmId("default", "web-1");

    static final String SOURCE_XML = """
            <domain type='qemu'>
              <name>default_web-1</name>
              <metadata>
                <vireo:vm xmlns:vireo="https://vireo.dev/xmlns/vm/v1" namespace="default" name="web-1" uid="u-1" incarnation="3"/>
              </metadata>
              <os><kernel>/a/images/vmlinuz</kernel></os>
              <devices>
                <disk type='file' device='disk'>
                  <source file='/a/data/vms/default_web-1/disk-root.qcow2'/>
                  <backingStore type='file'><source file='/a/images/disk.qcow2'/></backingStore>
                </disk>
                <serial type='pty'><log file='/a/data/vms/default_web-1/console.log' append='off'/></serial>
              </devices>
            </domain>
            """;

    @Test
    void theTargetGetsItsOwnPathsRoleByRoleAndTheNewIncarnation() {
        VirtualMachineSpec spec = new VirtualMachineSpec(null, null, "128Mi",
                new VirtualMachineSpec.Boot("vmlinuz", null, "console=ttyS0"),
                List.of(new VirtualMachineSpec.Disk("root", "disk.qcow2")), null, null, null);
        Map<String, String> here = GuestFiles.byRole(spec, confined(spec, "/a/images"), VmFiles.of(Path.of("/a/data"), VM));
        Map<String, String> there = GuestFiles.byRole(spec, confined(spec, "/b/images"), VmFiles.of(Path.of("/b/data"), VM));
        String xml = LiveMigrations.destinationXml(SOURCE_XML, here, there, 4);
        assertTrue(xml.contains("<source file='/b/data/vms/default_web-1/disk-root.qcow2'/>"), xml);
        assertTrue(xml.contains("<source file='/b/images/disk.qcow2'/>"), xml);
        assertTrue(xml.contains("<kernel>/b/images/vmlinuz</kernel>"), xml);
        assertTrue(xml.contains("file='/b/data/vms/default_web-1/console.log'"), xml);
        assertFalse(xml.contains("/a/"), xml);
        assertEquals(4, DomainXml.metadata(xml).orElseThrow().incarnation());
        assertEquals("u-1", DomainXml.metadata(xml).orElseThrow().uid());
    }

    @Test
    void pinnedKernelsAreNamedInTheVmsOwnDirectoryOnEachNode() {
        VirtualMachineSpec spec = new VirtualMachineSpec(null, null, "128Mi",
                new VirtualMachineSpec.Boot("vmlinuz", "initrd.img", "console=ttyS0"), List.of(), null, null, null);
        VmFiles a = VmFiles.of(Path.of("/a/data"), VM);
        VmFiles b = VmFiles.of(Path.of("/b/data"), VM);
        Map<String, String> here = GuestFiles.byRole(spec, PinnedImages.pinned(confined(spec, "/a/images"), a,
                Path.of("/a/images")), a);
        Map<String, String> there = GuestFiles.byRole(spec, PinnedImages.pinned(confined(spec, "/b/images"), b,
                Path.of("/b/images")), b);
        assertEquals("/a/data/vms/default_web-1/boot-kernel", here.get("image:vmlinuz"));
        assertEquals("/b/data/vms/default_web-1/boot-initrd", there.get("image:initrd.img"));
        String xml = LiveMigrations.destinationXml(SOURCE_XML.replace("/a/images/vmlinuz",
                "/a/data/vms/default_web-1/boot-kernel"), here, there, 4);
        assertTrue(xml.contains("<kernel>/b/data/vms/default_web-1/boot-kernel</kernel>"), xml);
    }

    private static VirtualMachineSpec confined(VirtualMachineSpec spec, String images) {
        VirtualMachineSpec.Boot boot = spec.boot();
        return new VirtualMachineSpec(null, null, "128Mi", new VirtualMachineSpec.Boot(images + "/" + boot.kernel(),
                boot.initrd() == null ? null : images + "/" + boot.initrd(), boot.cmdline()),
                spec.disks().stream().map(d -> new VirtualMachineSpec.Disk(d.name(), images + "/" + d.image())).toList(),
                null, null, null);
    }

    @Test
    void aPreCopyPolicyNeverSwitchesToPostCopy() {
        assertNull(LiveMigrations.postCopyDue(MigrationPolicy.DEFAULT, 50, false));
        assertNull(LiveMigrations.postCopyDue(MigrationPolicy.DEFAULT, 1, true), "a timeout aborts it instead");
    }

    @Test
    void aPostCopyPolicySwitchesAfterItsPassesOverMemoryOrWhenATimeoutWouldAbortIt() {
        MigrationPolicy postCopy = new MigrationPolicy(0, 300, 150, 150, false, true, 2);
        assertNull(LiveMigrations.postCopyDue(postCopy, 1, false));
        assertNull(LiveMigrations.postCopyDue(postCopy, 2, false), "two passes of pre-copy first");
        assertTrue(LiveMigrations.postCopyDue(postCopy, 3, false).contains("did not converge in 2 pass(es)"));
        assertTrue(LiveMigrations.postCopyDue(postCopy, 1, true).contains("timeout"));
    }

    @Test
    void aPolicyRecordedBeforePostCopyExistedSwitchesAfterTheDefaultPasses() {
        MigrationPolicy old = new MigrationPolicy(0, 300, 150, 150, false, true, 0); // the field absent: read as 0
        assertEquals(MigrationPolicy.POST_COPY_AFTER_ITERATIONS, old.switchToPostCopyAfter());
        assertNull(LiveMigrations.postCopyDue(old, MigrationPolicy.POST_COPY_AFTER_ITERATIONS, false));
    }
}
