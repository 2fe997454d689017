package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class DomainLanesTest {

    @Test
    void jobsOfOneDomainRunOneAfterAnotherInOrder() {
        DomainLanes<String> lanes = new DomainLanes<>();

        assertTrue(lanes.enqueue("a_vm", "start"));
        assertFalse(lanes.enqueue("a_vm", "pause"));
        assertFalse(lanes.enqueue("a_vm", "stop"));

        assertEquals(Optional.of("pause"), lanes.finish("a_vm"));
        assertEquals(Optional.of("stop"), lanes.finish("a_vm"));
        assertEquals(Optional.empty(), lanes.finish("a_vm"));
        assertTrue(lanes.enqueue("a_vm", "start again"), "an emptied lane is idle");
    }

    @Test
    void aBusyDomainDoesNotHoldUpAnother() {
        DomainLanes<String> lanes = new DomainLanes<>();

        assertTrue(lanes.enqueue("a_slow", "graceful stop"));
        assertTrue(lanes.enqueue("a_other", "start"));
    }
}
