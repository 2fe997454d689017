package dev.vireo.node;

/**
 * Which libvirt driver a URI names. How guests then run (test, TCG or KVM) is {@link Virtualization},
 * decided when the agent connects.
 */
public enum HypervisorKind {
    /** libvirt's built-in test driver: no guests run, but the whole API and its events work. */
    TEST,
    /** QEMU: real guests. */
    QEMU;

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
}
