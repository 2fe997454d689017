package dev.vireo.protocol.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.vireo.protocol.TypeNames;
import dev.vireo.protocol.node.NodeEvent;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Event type names are API (history, event stream): every event has one, the name its JSON carries; nodes' too. */
class VmEventTypeTest {

    @Test
    void everyEventHasTheTypeNameItsJsonCarries() {
        for (Class<?> type : VmLifecycle.stages(VmEvent.class)) {
            assertNotNull(TypeNames.of(VmEvent.class).get(type), type + " has no name in VmEvent's @JsonSubTypes");
        }
        for (Class<?> type : NodeEvent.class.getPermittedSubclasses()) {
            assertNotNull(TypeNames.of(NodeEvent.class).get(type), type + " has no name in NodeEvent's @JsonSubTypes");
        }
        VmEvent created = new VmEvent.VmCreated(new EventMeta(Instant.EPOCH, "r", "alice"), "uid", Map.of(),
                VmFixture.spec(RunStrategy.Manual));
        assertEquals("VmCreated", VmEvent.typeOf(created));
        assertEquals("StaleReportIgnored", VmEvent.typeOf(new VmEvent.StaleReportIgnored(
                new EventMeta(Instant.EPOCH, "r", "s"), "n", 1, 2, "Placed", "why")));
        assertEquals("NodeLost", NodeEvent.typeOf(new NodeEvent.NodeLost(
                new EventMeta(Instant.EPOCH, "r", "s"), "n", "lease expired", java.util.List.of())));
    }
}
