package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VmId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.libvirt.event.DomainEventType;

/** What the agent owns and expects; only its actor reads and changes it. */
class OwnedDomainsTest {

    private static final OwnedDomains.Owned WEB = new OwnedDomains.Owned(
            new VireoMetadata(new VmId("ns", "web"), "uid-1", 3), "uuid-1");

    @Test
    void anExpectedEventIsTheAgentsOwnOncePerExpectation() {
        OwnedDomains owned = new OwnedDomains();
        owned.put("ns_web", WEB);
        owned.expect("uuid-1", DomainEventType.STOPPED);
        owned.expect("uuid-1", DomainEventType.STOPPED);
        assertTrue(owned.consume("uuid-1", DomainEventType.STOPPED));
        assertTrue(owned.consume("uuid-1", DomainEventType.STOPPED));
        assertFalse(owned.consume("uuid-1", DomainEventType.STOPPED), "a third one came from outside");
        owned.expect("uuid-1", DomainEventType.SUSPENDED);
        owned.unexpect("uuid-1", DomainEventType.SUSPENDED);
        assertFalse(owned.consume("uuid-1", DomainEventType.SUSPENDED), "the call failed: it caused nothing");
    }

    @Test
    void aDomainIsFoundByNameAndUuidAndItsExpectationsOutliveIt() {
        OwnedDomains owned = new OwnedDomains();
        owned.put("ns_web", WEB);
        owned.expect("uuid-1", DomainEventType.STOPPED);
        assertEquals(Optional.of(WEB), owned.find("ns_web", "uuid-1"));
        assertEquals(Optional.empty(), owned.find("ns_web", "uuid-of-an-older-domain"));
        owned.remove("ns_web");
        assertEquals(Optional.empty(), owned.find("ns_web", "uuid-1"));
        // restored from a save, the domain is back under the same UUID before its destroy's event arrived:
        // that late event is still the agent's own, not a crash of the restored guest
        owned.put("ns_web", WEB);
        assertTrue(owned.consume("uuid-1", DomainEventType.STOPPED));
        assertFalse(owned.consume("uuid-1", DomainEventType.STOPPED), "the next one came from outside");
    }

    @Test
    void aWaiterRunsOnceTheEventsItWaitsForHaveArrived() {
        OwnedDomains owned = new OwnedDomains();
        List<String> ran = new ArrayList<>();
        owned.whenArrived("uuid-1", DomainEventType.STOPPED, () -> ran.add("nothing expected"));
        assertEquals(List.of("nothing expected"), ran);
        owned.expect("uuid-1", DomainEventType.STOPPED);
        owned.expect("uuid-1", DomainEventType.STOPPED);
        owned.expect("uuid-1", DomainEventType.STARTED);
        owned.whenArrived("uuid-1", DomainEventType.STOPPED, () -> ran.add("both stops"));
        owned.consume("uuid-1", DomainEventType.STOPPED);
        assertEquals(1, ran.size(), "one stop is still to come");
        owned.consume("uuid-1", DomainEventType.STARTED);
        assertEquals(1, ran.size(), "a start is not what it waits for");
        owned.consume("uuid-1", DomainEventType.STOPPED);
        assertEquals(List.of("nothing expected", "both stops"), ran);
    }
}
