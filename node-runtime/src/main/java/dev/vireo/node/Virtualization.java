package dev.vireo.node;

/** How a node runs its guests, decided once when the agent connects; shown as {@code NodeInfo.virtualization}. */
public enum Virtualization {
    /** libvirt's test driver: nothing runs. */
    TEST("test", "test"),
    /** QEMU's software emulation (TCG): slower, works everywhere. */
    TCG("qemu", "tcg"),
    /** Hardware virtualization through /dev/kvm. */
    KVM("kvm", "kvm");

    private final String domainType;
    private final String word;

    Virtualization(String domainType, String word) {
        this.domainType = domainType;
        this.word = word;
    }

    /** The {@code type} attribute of {@code <domain>}. */
    public String domainType() {
        return domainType;
    }

    /** What {@code NodeInfo.virtualization} says. */
    public String word() {
        return word;
    }

    /** Real guests have disks and a console on the node; the test driver has none. */
    boolean runsGuests() {
        return this != TEST;
    }
}
