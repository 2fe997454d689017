package dev.vireo.node;

/** Which libvirt driver a URI names, and what follows from it for domain XML and registration. */
public enum HypervisorKind {
    /** libvirt's built-in test driver: no guests run, but the whole API and its events work. */
    TEST("test", "test"),
    /** QEMU; TCG until KVM detection exists (KVM guests hang on these machines, see recipes/libvirt.md). */
    QEMU("qemu", "tcg");

    private final String domainType;
    private final String virtualization;

    HypervisorKind(String domainType, String virtualization) {
        this.domainType = domainType;
        this.virtualization = virtualization;
    }

    public static HypervisorKind fromUri(String uri) {
        if (uri.startsWith("test:") || uri.startsWith("test+")) {
            return TEST;
        }
        if (uri.startsWith("qemu:") || uri.startsWith("qemu+")) {
            return QEMU;
        }
        throw new IllegalArgumentException("unsupported hypervisor URI '" + uri
                + "': use test:///default or a qemu:// URI such as qemu:///system");
    }

    /** The {@code type} attribute of {@code <domain>}. */
    public String domainType() {
        return domainType;
    }

    /** What {@code NodeInfo.virtualization} says about this node. */
    public String virtualization() {
        return virtualization;
    }
}
