package dev.vireo.node;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.event.DomainEventType;

/**
 * The Vireo domains this agent knows of, and the lifecycle events its own calls are about to cause.
 *
 * <p>Written by blocking steps on the libvirt pool and read by the actor when an event arrives. An
 * expectation is recorded <em>before</em> the libvirt call, so the event it causes always finds it,
 * whichever of the event and the step's result reaches the actor first. Keyed by UUID: a late event
 * of an undefined domain never matches a new domain of the same name.
 */
final class OwnedDomains {

    /** A Vireo domain as libvirt knows it: its metadata and its UUID. */
    record Owned(VireoMetadata meta, String uuid) {
    }

    private final Map<String, Owned> byName = new ConcurrentHashMap<>();
    private final Map<String, Map<DomainEventType, Integer>> expected = new ConcurrentHashMap<>();

    void put(String domainName, Owned owned) {
        byName.put(domainName, owned);
    }

    void remove(String domainName) {
        Owned gone = byName.remove(domainName);
        if (gone != null) {
            // Events of the undefined domain still in flight are dropped by the UUID check instead.
            expected.remove(gone.uuid());
        }
    }

    /** The owned domain with this name and UUID; empty for foreign domains and for stale events. */
    Optional<Owned> find(String domainName, String uuid) {
        Owned owned = byName.get(domainName);
        return owned != null && owned.uuid().equals(uuid) ? Optional.of(owned) : Optional.empty();
    }

    void expect(String uuid, DomainEventType type) {
        expected.computeIfAbsent(uuid, u -> new ConcurrentHashMap<>()).merge(type, 1, Integer::sum);
    }

    /** Withdraws an expectation whose call failed (and so caused nothing). */
    void unexpect(String uuid, DomainEventType type) {
        consume(uuid, type);
    }

    /** Forgets expectations left over from an earlier run of the domain (before it is started again). */
    void clearExpectations(String uuid) {
        expected.remove(uuid);
    }

    /** A libvirt call on a domain. */
    interface LibvirtAction {
        void run() throws org.libvirt.LibvirtException;
    }

    /**
     * Runs {@code action}, which causes an event of {@code type} on the domain {@code uuid}: expected before the
     * call (its event may reach the agent before the call returns), withdrawn if the call fails.
     */
    void causing(String uuid, DomainEventType type, LibvirtAction action) throws org.libvirt.LibvirtException {
        expect(uuid, type);
        try {
            action.run();
        } catch (org.libvirt.LibvirtException | RuntimeException e) {
            unexpect(uuid, type);
            throw e;
        }
    }

    /** @return true when the agent caused this event (and it is now accounted for) */
    boolean consume(String uuid, DomainEventType type) {
        Map<DomainEventType, Integer> forDomain = expected.get(uuid);
        if (forDomain == null) {
            return false;
        }
        boolean[] found = {false};
        forDomain.computeIfPresent(type, (t, n) -> {
            found[0] = true;
            return n > 1 ? n - 1 : null;
        });
        return found[0];
    }
}
