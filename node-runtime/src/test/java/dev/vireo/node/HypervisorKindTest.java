package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HypervisorKindTest {

    @Test
    void testAndQemuUrisAreRecognised() {
        assertEquals(HypervisorKind.TEST, HypervisorKind.fromUri("test:///default"));
        assertEquals(HypervisorKind.QEMU, HypervisorKind.fromUri("qemu:///system"));
        assertEquals(HypervisorKind.QEMU, HypervisorKind.fromUri("qemu+unix:///system?socket=/tmp/n2/libvirt-sock"));
    }

    @Test
    void otherDriversAreRefusedWithWhatToUseInstead() {
        var error = assertThrows(IllegalArgumentException.class, () -> HypervisorKind.fromUri("xen:///system"));
        assertTrue(error.getMessage().contains("test:///default"), error.getMessage());
    }
}
