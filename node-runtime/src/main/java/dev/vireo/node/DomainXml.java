package dev.vireo.node;

import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.io.StringReader;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;

/**
 * The libvirt domain XML of a Vireo VM, and Vireo's metadata read back out of any domain's XML.
 * Each device group is its own method so that disks, console and overlays can be added one by one.
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

    /**
     * @param uuid the UUID of the domain being redefined, or {@code null} for a new domain (libvirt
     *             refuses to redefine a name under a different UUID)
     */
    public static String build(VireoMetadata meta, VirtualMachineSpec spec, HypervisorKind kind, String uuid) {
        VirtualMachineSpec full = spec.withDefaults();
        StringBuilder xml = new StringBuilder(1024);
        xml.append("<domain type='").append(kind.domainType()).append("'>\n");
        xml.append("  <name>").append(escape(meta.vm().domainName())).append("</name>\n");
        if (uuid != null) {
            xml.append("  <uuid>").append(escape(uuid)).append("</uuid>\n");
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
        devices(xml, full);
        xml.append("</domain>\n");
        return xml.toString();
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

    private static void devices(StringBuilder xml, VirtualMachineSpec spec) {
        xml.append("  <devices>\n");
        // Disks, console and overlays come here (later issue); the balloon is off so memory is what was asked.
        xml.append("    <memballoon model='none'/>\n");
        xml.append("  </devices>\n");
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

    private static Element parse(String xml) {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(true);
            // Domain XML never needs a DTD; refusing one keeps entity tricks out.
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            return factory.newDocumentBuilder().parse(new InputSource(new StringReader(xml))).getDocumentElement();
        } catch (ParserConfigurationException | SAXException | IOException e) {
            throw new IllegalArgumentException("not a libvirt domain XML: " + e.getMessage(), e);
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
