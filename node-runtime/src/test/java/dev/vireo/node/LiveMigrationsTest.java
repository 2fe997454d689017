package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private static VirtualMachineSpec confined(VirtualMachineSpec spec, String images) {
        return new VirtualMachineSpec(null, null, "128Mi", new VirtualMachineSpec.Boot(images + "/vmlinuz", null,
                "console=ttyS0"), List.of(new VirtualMachineSpec.Disk("root", images + "/disk.qcow2")), null, null, null);
    }
}
