package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.io.StringReader;
import java.util.Optional;
import java.util.UUID;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.junit.jupiter.api.Test;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

class DomainXmlTest {

    private static final VmId VM = new VmId("prod", "web-1");

    private static VirtualMachineSpec spec(int cores, String memory, VirtualMachineSpec.Boot boot) {
        return new VirtualMachineSpec(null, new VirtualMachineSpec.Cpu(cores), memory, boot, null, null, null, null);
    }

    private static String xpath(String xml, String expression) throws Exception {
        Document doc = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(new InputSource(new StringReader(xml)));
        return (String) XPathFactory.newInstance().newXPath().evaluate(expression, doc, XPathConstants.STRING);
    }

    @Test
    void testDriverDomainIsNamedNamespaceUnderscoreNameWithMemoryInKibAndVcpusFromCores() throws Exception {
        String xml = DomainXml.build(VM, "uid-1", 3, spec(2, "96Mi", null), HypervisorKind.TEST);

        assertEquals("test", xpath(xml, "/domain/@type"));
        assertEquals("prod_web-1", xpath(xml, "/domain/name"));
        assertEquals("98304", xpath(xml, "/domain/memory"));
        assertEquals("KiB", xpath(xml, "/domain/memory/@unit"));
        assertEquals("2", xpath(xml, "/domain/vcpu"));
        assertEquals(DomainXml.uuidOf("uid-1"), xpath(xml, "/domain/uuid"), "the VM's UUID, derived from its uid");
    }

    @Test
    void qemuDomainBootsTheGivenKernelWithAcpiAndIsDestroyedOnPoweroffAndCrash() throws Exception {
        var boot = new VirtualMachineSpec.Boot("/img/vmlinuz", "/img/initrd.gz", "console=ttyS0 quiet");
        String xml = DomainXml.build(VM, "uid-1", 1, spec(1, "128Mi", boot), HypervisorKind.QEMU);

        assertEquals("qemu", xpath(xml, "/domain/@type"));
        assertEquals("hvm", xpath(xml, "/domain/os/type"));
        assertEquals("x86_64", xpath(xml, "/domain/os/type/@arch"));
        assertEquals("pc", xpath(xml, "/domain/os/type/@machine"));
        assertEquals("/img/vmlinuz", xpath(xml, "/domain/os/kernel"));
        assertEquals("/img/initrd.gz", xpath(xml, "/domain/os/initrd"));
        assertEquals("console=ttyS0 quiet", xpath(xml, "/domain/os/cmdline"));
        assertEquals("1", xpath(xml, "count(/domain/features/acpi)"));
        assertEquals("destroy", xpath(xml, "/domain/on_poweroff"));
        assertEquals("destroy", xpath(xml, "/domain/on_crash"));
        assertEquals("none", xpath(xml, "/domain/devices/memballoon/@model"));
    }

    @Test
    void withoutBootThereIsNoKernelElement() throws Exception {
        String xml = DomainXml.build(VM, "uid-1", 1, spec(1, "128Mi", null), HypervisorKind.QEMU);

        assertEquals("0", xpath(xml, "count(/domain/os/kernel)"));
    }

    @Test
    void missingMemoryAndCpuFallBackToTheSpecDefaults() throws Exception {
        var bare = new VirtualMachineSpec(null, null, null, null, null, null, null, null);
        String xml = DomainXml.build(VM, "uid-1", 1, bare, HypervisorKind.TEST);

        assertEquals(String.valueOf(128 * 1024), xpath(xml, "/domain/memory"));
        assertEquals("1", xpath(xml, "/domain/vcpu"));
    }

    @Test
    void redefinitionKeepsTheGivenUuid() throws Exception {
        String uuid = UUID.randomUUID().toString();
        String xml = DomainXml.build(new VireoMetadata(VM, "u", 2), spec(1, "64Mi", null), HypervisorKind.TEST, uuid);

        assertEquals(uuid, xpath(xml, "/domain/uuid"));
    }

    @Test
    void aVmKeepsOneUuidForItsLifeAndAUidThatIsAUuidIsIt() {
        String uid = UUID.randomUUID().toString();
        assertEquals(uid, DomainXml.uuidOf(uid));
        assertEquals(DomainXml.uuidOf("web-uid"), DomainXml.uuidOf("web-uid"));
        assertFalse(DomainXml.uuidOf("web-uid").equals(DomainXml.uuidOf("web-uid-2")));
    }

    @Test
    void realGuestGetsVirtioOverlaysUserNetworkAndASerialConsoleLoggedToItsFile() throws Exception {
        VmFiles files = VmFiles.of(java.nio.file.Path.of("/data"), VM);
        var disks = java.util.List.of(new GuestFiles.DiskFile("root", files.overlay("root")),
                new GuestFiles.DiskFile("scratch", files.overlay("scratch")));
        String xml = DomainXml.build(new VireoMetadata(VM, "uid-1", 1), spec(1, "96Mi", null), Virtualization.KVM,
                null, files, disks);

        assertEquals("kvm", xpath(xml, "/domain/@type"));
        assertEquals("/data/vms/prod_web-1/disk-root.qcow2", xpath(xml, "/domain/devices/disk[1]/source/@file"));
        assertEquals("vda", xpath(xml, "/domain/devices/disk[1]/target/@dev"));
        assertEquals("virtio", xpath(xml, "/domain/devices/disk[1]/target/@bus"));
        assertEquals("qcow2", xpath(xml, "/domain/devices/disk[2]/driver/@type"));
        assertEquals("vdb", xpath(xml, "/domain/devices/disk[2]/target/@dev"));
        assertEquals("user", xpath(xml, "/domain/devices/interface/@type"));
        assertEquals("virtio", xpath(xml, "/domain/devices/interface/model/@type"));
        assertEquals("/data/vms/prod_web-1/console.log", xpath(xml, "/domain/devices/serial/log/@file"));
        assertEquals("off", xpath(xml, "/domain/devices/serial/log/@append"));
        assertEquals("serial", xpath(xml, "/domain/devices/console/target/@type"));
    }

    @Test
    void virtioDiskNamesFollowLibvirtsOrder() {
        assertEquals("vda", DomainXml.diskTarget(0));
        assertEquals("vdz", DomainXml.diskTarget(25));
        assertEquals("vdaa", DomainXml.diskTarget(26));
    }

    @Test
    void vmFilesLiveUnderTheDataDirectoryAndDiskNamesNeverLeaveIt() {
        VmFiles files = VmFiles.of(java.nio.file.Path.of("/data"), VM);
        assertEquals(java.nio.file.Path.of("/data/vms/prod_web-1"), files.directory());
        assertEquals(java.nio.file.Path.of("/data/vms/prod_web-1/console.log"), files.consoleLog());
        assertThrows(IllegalArgumentException.class, () -> files.overlay("../../etc"));
        assertThrows(IllegalArgumentException.class, () -> files.overlay("a/b"));
    }

    @Test
    void metadataIsReadBackFromTheBuiltXml() {
        String xml = DomainXml.build(VM, "0b7c-uid", 42, spec(1, "64Mi", null), HypervisorKind.TEST);

        assertEquals(Optional.of(new VireoMetadata(VM, "0b7c-uid", 42)), DomainXml.metadata(xml));
    }

    @Test
    void metadataIsFoundWhateverPrefixLibvirtWritesItWith() {
        String xml = "<domain type='kvm'><name>a_b</name><metadata>"
                + "<other:thing xmlns:other='https://example.org/x'/>"
                + "<v:vm xmlns:v='" + DomainXml.NAMESPACE + "' namespace='a' name='b' uid='u' incarnation='7'/>"
                + "</metadata></domain>";

        assertEquals(Optional.of(new VireoMetadata(new VmId("a", "b"), "u", 7)), DomainXml.metadata(xml));
    }

    @Test
    void domainWithoutVireoMetadataIsNotVireos() {
        assertFalse(DomainXml.metadata("<domain type='test'><name>test</name></domain>").isPresent());
        assertFalse(DomainXml.metadata("<domain type='test'><name>x_y</name><metadata>"
                + "<vm xmlns='https://example.org/not-vireo' namespace='x' name='y' incarnation='1'/>"
                + "</metadata></domain>").isPresent());
    }

    @Test
    void malformedIncarnationMeansNoVireoMetadata() {
        String xml = "<domain><metadata><vm xmlns='" + DomainXml.NAMESPACE
                + "' namespace='a' name='b' uid='u' incarnation='many'/></metadata></domain>";

        assertFalse(DomainXml.metadata(xml).isPresent());
    }

    @Test
    void textThatIsNoXmlIsRejectedWithTheReason() {
        var error = assertThrows(IllegalArgumentException.class, () -> DomainXml.metadata("<domain"));
        assertTrue(error.getMessage().startsWith("not a libvirt domain XML"), error.getMessage());
    }

    @Test
    void aDoctypeIsRefusedEvenAfterTheThreadsParserReadGoodAndBadXml() {
        String good = "<domain><metadata><vm xmlns='" + DomainXml.NAMESPACE
                + "' namespace='a' name='b' uid='u' incarnation='3'/></metadata></domain>";
        String doctype = "<?xml version='1.0'?><!DOCTYPE domain [<!ENTITY x 'y'>]><domain>&x;</domain>";
        for (int i = 0; i < 3; i++) {
            assertEquals(Optional.of(new VireoMetadata(new VmId("a", "b"), "u", 3)), DomainXml.metadata(good));
            assertThrows(IllegalArgumentException.class, () -> DomainXml.metadata("<domain"));
            var refused = assertThrows(IllegalArgumentException.class, () -> DomainXml.metadata(doctype));
            assertTrue(refused.getMessage().contains("DOCTYPE"), refused.getMessage());
        }
    }

    @Test
    void specialCharactersAreEscaped() {
        var boot = new VirtualMachineSpec.Boot("/k", null, "a<b & c='d'");
        String xml = DomainXml.build(new VmId("n", "m"), "u&'1", 1, spec(1, "64Mi", boot), HypervisorKind.QEMU);

        assertEquals(Optional.of(new VireoMetadata(new VmId("n", "m"), "u&'1", 1)), DomainXml.metadata(xml));
        assertTrue(xml.contains("a&lt;b &amp; c=&apos;d&apos;"), xml);
    }

    @Test
    void libvirtKeepsVireoMetadataWhenItDefinesTheDomain() throws Exception {
        VmId vm = new VmId("xmltest", "keep-" + UUID.randomUUID().toString().substring(0, 8));
        Connect connect = new Connect("test:///default");
        try {
            Domain domain = connect.domainDefineXML(DomainXml.build(vm, "uid-9", 9, spec(1, "64Mi", null), HypervisorKind.TEST));
            try {
                String stored = domain.getXMLDesc(0);
                assertEquals(Optional.of(new VireoMetadata(vm, "uid-9", 9)), DomainXml.metadata(stored));
                assertEquals(vm.domainName(), domain.getName());
            } finally {
                domain.undefine();
            }
        } finally {
            connect.close();
        }
    }

    @Test
    void fileDisksAreTheDisksWithTheFileTheyUseNowNotTheirBackingChainNorACdrom() {
        String xml = """
                <domain type='qemu'><name>d</name><devices>
                  <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
                    <source file='/data/vms/ns_a/disk-root.qcow2.snapshotting'/>
                    <backingStore type='file'><format type='qcow2'/><source file='/data/vms/ns_a/disk-root.qcow2'/>
                    </backingStore><target dev='vda' bus='virtio'/></disk>
                  <disk type='file' device='cdrom'><source file='/images/x.iso'/><target dev='hdc' bus='ide'/></disk>
                  <disk type='file' device='disk'><source file='/data/vms/ns_a/disk-data.qcow2'/>
                    <target dev='vdb' bus='virtio'/></disk>
                </devices></domain>""";
        assertEquals(java.util.List.of(
                new DomainXml.FileDisk("vda", "/data/vms/ns_a/disk-root.qcow2.snapshotting"),
                new DomainXml.FileDisk("vdb", "/data/vms/ns_a/disk-data.qcow2")), DomainXml.fileDisks(xml));
    }

    @Test
    void theIncarnationIsRenewedWhicheverQuoteLibvirtWroteItWith() {
        String doubled = "<domain><metadata><vireo:vm xmlns:vireo=\"" + DomainXml.NAMESPACE + "\""
                + " namespace=\"default\" name=\"a\" uid=\"u\" incarnation=\"1\"/></metadata></domain>";
        assertEquals(2, DomainXml.metadata(DomainXml.withIncarnation(doubled, 2)).orElseThrow().incarnation());
        String single = doubled.replace('"', '\'');
        assertEquals(7, DomainXml.metadata(DomainXml.withIncarnation(single, 7)).orElseThrow().incarnation());
    }
}
