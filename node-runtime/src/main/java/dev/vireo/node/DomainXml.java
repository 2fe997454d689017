package dev.vireo.node;

import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The libvirt domain XML of a Vireo VM, and Vireo's metadata read back out of any domain's XML.
 * Real guests get virtio disks (their overlays), user-mode networking and a serial console logged to a file.
 */
public final class DomainXml {

    /** Namespace of Vireo's element in {@code <metadata>}; a domain without it is not Vireo's. */
    public static final String NAMESPACE = "https://vireo.dev/xmlns/vm/v1";
    private static final String PREFIX = "vireo";

    private DomainXml() {
    }

    public static String build(VmId vm, String uid, long incarnation, VirtualMachineSpec spec, HypervisorKind kind) {
        return build(new VireoMetadata(vm, uid, incarnation), spec, kind, null);
    }

    /** A domain without files on the node (no disks, no console log): the test driver's, or a bare QEMU one. */
    public static String build(VireoMetadata meta, VirtualMachineSpec spec, HypervisorKind kind, String uuid) {
        Virtualization virt = kind == HypervisorKind.TEST ? Virtualization.TEST : Virtualization.TCG;
        return build(meta, spec, virt, uuid, null, List.of());
    }

    /**
     * @param uuid    the UUID of the domain being redefined, or {@code null} for the VM's own UUID, derived
     *                from its uid (libvirt refuses to redefine a name under a different UUID)
     * @param files   where the console log goes; {@code null} for no console device
     * @param disks   the overlays, in the order of {@code spec.disks}: vda, vdb, ...
     */
    static String build(VireoMetadata meta, VirtualMachineSpec spec, Virtualization virt, String uuid,
                        VmFiles files, List<GuestFiles.DiskFile> disks) {
        VirtualMachineSpec full = spec.withDefaults();
        StringBuilder xml = new StringBuilder(2048);
        xml.append("<domain type='").append(virt.domainType()).append("'>\n");
        xml.append("  <name>").append(escape(meta.vm().domainName())).append("</name>\n");
        String domainUuid = uuid != null ? uuid : uuidOf(meta.uid());
        if (domainUuid != null) {
            xml.append("  <uuid>").append(escape(domainUuid)).append("</uuid>\n");
        }
        metadata(xml, meta);
        long kib = (full.memoryBytes() + 1023) / 1024;
        xml.append("  <memory unit='KiB'>").append(kib).append("</memory>\n");
        xml.append("  <currentMemory unit='KiB'>").append(kib).append("</currentMemory>\n");
        xml.append("  <vcpu placement='static'>").append(full.cores()).append("</vcpu>\n");
        os(xml, full.boot());
        xml.append("  <features><acpi/></features>\n");
        // The agent decides what a stop or crash means; libvirt must not restart or keep a dead guest.
        xml.append("  <on_poweroff>destroy</on_poweroff>\n");
        xml.append("  <on_reboot>restart</on_reboot>\n");
        xml.append("  <on_crash>destroy</on_crash>\n");
        devices(xml, virt, files, disks);
        xml.append("</domain>\n");
        return xml.toString();
    }

    /**
     * The libvirt UUID of a VM for its whole life: its uid when that is a UUID, else one derived from it.
     * A restart redefines the domain under the same UUID.
     */
    public static String uuidOf(String uid) {
        if (uid == null || uid.isEmpty()) {
            return null;
        }
        try {
            return UUID.fromString(uid).toString();
        } catch (IllegalArgumentException notAUuid) {
            return UUID.nameUUIDFromBytes(("vireo-vm:" + uid).getBytes(StandardCharsets.UTF_8)).toString();
        }
    }

    private static void metadata(StringBuilder xml, VireoMetadata meta) {
        xml.append("  <metadata>\n");
        xml.append("    <").append(PREFIX).append(":vm xmlns:").append(PREFIX).append("='").append(NAMESPACE).append("'")
                .append(" namespace='").append(escape(meta.vm().namespace())).append("'")
                .append(" name='").append(escape(meta.vm().name())).append("'")
                .append(" uid='").append(escape(meta.uid())).append("'")
                .append(" incarnation='").append(meta.incarnation()).append("'/>\n");
        xml.append("  </metadata>\n");
    }

    private static void os(StringBuilder xml, VirtualMachineSpec.Boot boot) {
        xml.append("  <os>\n");
        xml.append("    <type arch='x86_64' machine='pc'>hvm</type>\n");
        if (boot != null) {
            optional(xml, "kernel", boot.kernel());
            optional(xml, "initrd", boot.initrd());
            optional(xml, "cmdline", boot.cmdline());
        }
        xml.append("  </os>\n");
    }

    private static void devices(StringBuilder xml, Virtualization virt, VmFiles files,
                                List<GuestFiles.DiskFile> disks) {
        xml.append("  <devices>\n");
        for (int i = 0; i < disks.size(); i++) {
            xml.append("    <disk type='file' device='disk'>\n");
            xml.append("      <driver name='qemu' type='qcow2'/>\n");
            xml.append("      <source file='").append(escape(disks.get(i).overlay().toString())).append("'/>\n");
            xml.append("      <target dev='").append(diskTarget(i)).append("' bus='virtio'/>\n");
            xml.append("    </disk>\n");
        }
        if (virt.runsGuests()) {
            xml.append("    <interface type='user'><model type='virtio'/></interface>\n");
        }
        if (files != null) {
            xml.append("    <serial type='pty'>\n");
            xml.append("      <log file='").append(escape(files.consoleLog().toString())).append("' append='off'/>\n");
            xml.append("      <target port='0'/>\n");
            xml.append("    </serial>\n");
            xml.append("    <console type='pty'><target type='serial' port='0'/></console>\n");
        }
        // The balloon is off so that the guest has the memory that was asked for.
        xml.append("    <memballoon model='none'/>\n");
        xml.append("  </devices>\n");
    }

    /** vda, vdb, ..., vdz, vdaa, vdab, ... as libvirt names virtio disks. */
    static String diskTarget(int index) {
        StringBuilder suffix = new StringBuilder();
        int i = index;
        do {
            suffix.insert(0, (char) ('a' + i % 26));
            i = i / 26 - 1;
        } while (i >= 0);
        return "vd" + suffix;
    }

    private static void optional(StringBuilder xml, String element, String value) {
        if (value != null && !value.isBlank()) {
            xml.append("    <").append(element).append('>').append(escape(value)).append("</").append(element).append(">\n");
        }
    }

    /** Vireo's metadata of a domain, or empty when the domain is not Vireo's (or its metadata is unreadable). */
    public static Optional<VireoMetadata> metadata(String domainXml) {
        Element root = parse(domainXml);
        for (Node child = root.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element metadata && "metadata".equals(metadata.getLocalName())) {
                NodeList vms = metadata.getElementsByTagNameNS(NAMESPACE, "vm");
                if (vms.getLength() > 0) {
                    return read((Element) vms.item(0));
                }
            }
        }
        return Optional.empty();
    }

    private static final java.util.regex.Pattern INCARNATION =
            java.util.regex.Pattern.compile("(<(?:\\w+:)?vm\\b[^>]*\\bincarnation=)(['\"])\\d+\\2");

    /** The domain XML with Vireo's metadata naming {@code incarnation} (libvirt writes it with either quote). */
    static String withIncarnation(String domainXml, long incarnation) {
        java.util.regex.Matcher m = INCARNATION.matcher(domainXml);
        if (!m.find()) {
            throw new IllegalArgumentException("the domain's XML carries no Vireo incarnation");
        }
        return m.replaceFirst("$1$2" + incarnation + "$2");
    }

    /** A disk of a domain backed by a file: its target ({@code vda}) and the file it reads and writes now. */
    record FileDisk(String target, String source) {
    }

    /** The file-backed disks ({@code device='disk'}) of a domain, in the order its XML lists them. */
    static List<FileDisk> fileDisks(String domainXml) {
        List<FileDisk> disks = new java.util.ArrayList<>();
        NodeList all = parse(domainXml).getElementsByTagName("disk");
        for (int i = 0; i < all.getLength(); i++) {
            Element disk = (Element) all.item(i);
            if (!"disk".equals(disk.getAttribute("device")) || !"file".equals(disk.getAttribute("type"))) {
                continue;
            }
            NodeList sources = disk.getElementsByTagName("source");
            NodeList targets = disk.getElementsByTagName("target");
            if (sources.getLength() > 0 && targets.getLength() > 0) {
                String file = ((Element) sources.item(0)).getAttribute("file");
                String target = ((Element) targets.item(0)).getAttribute("dev");
                if (!file.isEmpty() && !target.isEmpty()) {
                    disks.add(new FileDisk(target, file));
                }
            }
        }
        return disks;
    }

    private static Optional<VireoMetadata> read(Element vm) {
        String namespace = vm.getAttribute("namespace");
        String name = vm.getAttribute("name");
        String uid = vm.getAttribute("uid");
        String incarnation = vm.getAttribute("incarnation");
        if (namespace.isEmpty() || name.isEmpty() || incarnation.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(new VireoMetadata(new VmId(namespace, name), uid, Long.parseLong(incarnation)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /**
     * One parser per thread, made once: {@code DocumentBuilderFactory.newInstance()} looks its implementation up on the
     * class path every time, and a node looks up a domain's metadata for nearly every command (a fifth of the CPU of
     * start/stop cycles on the test driver went to that look-up).
     */
    private static final ThreadLocal<DocumentBuilder> PARSER = ThreadLocal.withInitial(DomainXml::newParser);

    private static DocumentBuilder newParser() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            // Domain XML never needs a DTD; refusing one keeps entity tricks out.
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            return factory.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException("no XML parser with the features domain XML needs: " + e.getMessage(), e);
        }
    }

    private static Element parse(String xml) {
        DocumentBuilder parser = PARSER.get();
        try {
            return parser.parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (SAXException | IOException e) {
            throw new IllegalArgumentException("not a libvirt domain XML: " + e.getMessage(), e);
        } finally {
            parser.reset();
        }
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            switch (c) {
                case '&' -> out.append("&amp;");
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '\'' -> out.append("&apos;");
                case '"' -> out.append("&quot;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }
}
