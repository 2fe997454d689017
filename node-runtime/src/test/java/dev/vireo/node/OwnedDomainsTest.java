package dev.vireo.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.VmId;
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
    void aDomainIsFoundByNameAndUuidAndForgottenWithItsExpectations() {
        OwnedDomains owned = new OwnedDomains();
        owned.put("ns_web", WEB);
        owned.expect("uuid-1", DomainEventType.STARTED);
        assertEquals(Optional.of(WEB), owned.find("ns_web", "uuid-1"));
        assertEquals(Optional.empty(), owned.find("ns_web", "uuid-of-an-older-domain"));
        owned.remove("ns_web");
        assertEquals(Optional.empty(), owned.find("ns_web", "uuid-1"));
        assertFalse(owned.consume("uuid-1", DomainEventType.STARTED));
    }
}
