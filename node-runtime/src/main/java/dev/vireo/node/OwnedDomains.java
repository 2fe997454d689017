package dev.vireo.node;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.libvirt.event.DomainEventType;

/**
 * The Vireo domains this agent knows of, and the lifecycle events its own calls are about to cause.
 *
 * <p>The agent's actor owns it: it reads it when an event arrives and applies the {@link Changes} the steps on
 * the libvirt pool tell it about, in the order they were told. A step records an expectation <em>before</em>
 * the libvirt call, so the event the call causes always finds it. Keyed by UUID: a late event of an undefined
 * domain never matches a new domain of the same name.
 */
final class OwnedDomains {

    /** A Vireo domain as libvirt knows it: its metadata and its UUID. */
    record Owned(VireoMetadata meta, String uuid) {
    }

    /** What a step on the pool may change; the agent applies each change on its actor. */
    interface Changes {
        void put(String domainName, Owned owned);

        void remove(String domainName);

        void expect(String uuid, DomainEventType type);

        /** Withdraws an expectation whose call failed (and so caused nothing). */
        void unexpect(String uuid, DomainEventType type);

        /** Forgets expectations left over from an earlier run of the domain (before it is started again). */
        void clearExpectations(String uuid);

        /**
         * Completes once no event of {@code type} on {@code uuid} is expected any more: the events the agent's own
         * calls caused have all reached it. A step that takes a domain down and brings it back under the same UUID
         * (a restore) waits for this, so the late event of the old run cannot be taken for one of the new.
         */
        java.util.concurrent.CompletionStage<Void> arrived(String uuid, DomainEventType type);

        /**
         * Runs {@code action}, which causes an event of {@code type} on the domain {@code uuid}: expected before the
         * call (its event may reach the agent before the call returns), withdrawn if the call fails.
         */
        default void causing(String uuid, DomainEventType type, LibvirtAction action)
                throws org.libvirt.LibvirtException {
            expect(uuid, type);
            try {
                action.run();
            } catch (org.libvirt.LibvirtException | RuntimeException e) {
                unexpect(uuid, type);
                throw e;
            }
        }
    }

    /** A libvirt call on a domain. */
    interface LibvirtAction {
        void run() throws org.libvirt.LibvirtException;
    }

    private final Map<String, Owned> byName = new HashMap<>();
    private final Map<String, Map<DomainEventType, Integer>> expected = new HashMap<>();
    private final Map<String, java.util.List<Waiter>> waiters = new HashMap<>();

    private record Waiter(DomainEventType type, Runnable then) {
    }

    void put(String domainName, Owned owned) {
        byName.put(domainName, owned);
    }

    void remove(String domainName) {
        // Its expectations stay: the event of the call that took it down may still be in flight, and a domain
        // restored from a save comes back under the same UUID, where that late event must not count as new.
        byName.remove(domainName);
    }

    /** The owned domain with this name and UUID; empty for foreign domains and for stale events. */
    Optional<Owned> find(String domainName, String uuid) {
        Owned owned = byName.get(domainName);
        return owned != null && owned.uuid().equals(uuid) ? Optional.of(owned) : Optional.empty();
    }

    void expect(String uuid, DomainEventType type) {
        expected.computeIfAbsent(uuid, u -> new HashMap<>()).merge(type, 1, Integer::sum);
    }

    void unexpect(String uuid, DomainEventType type) {
        consume(uuid, type);
    }

    /** Runs {@code then} once no event of {@code type} on {@code uuid} is expected (at once if none is). */
    void whenArrived(String uuid, DomainEventType type, Runnable then) {
        Map<DomainEventType, Integer> forDomain = expected.get(uuid);
        if (forDomain == null || !forDomain.containsKey(type)) {
            then.run();
        } else {
            waiters.computeIfAbsent(uuid, u -> new java.util.ArrayList<>()).add(new Waiter(type, then));
        }
    }

    void clearExpectations(String uuid) {
        expected.remove(uuid);
        release(uuid);
    }

    /** @return true when the agent caused this event (and it is now accounted for) */
    boolean consume(String uuid, DomainEventType type) {
        Map<DomainEventType, Integer> forDomain = expected.get(uuid);
        if (forDomain == null || !forDomain.containsKey(type)) {
            return false;
        }
        forDomain.computeIfPresent(type, (t, n) -> n > 1 ? n - 1 : null);
        if (forDomain.isEmpty()) {
            expected.remove(uuid);
        }
        release(uuid);
        return true;
    }

    /** Runs the waiters whose events have all arrived. */
    private void release(String uuid) {
        java.util.List<Waiter> waiting = waiters.get(uuid);
        if (waiting == null) {
            return;
        }
        Map<DomainEventType, Integer> forDomain = expected.getOrDefault(uuid, Map.of());
        java.util.List<Waiter> ready = waiting.stream().filter(w -> !forDomain.containsKey(w.type())).toList();
        waiting.removeAll(ready);
        if (waiting.isEmpty()) {
            waiters.remove(uuid);
        }
        ready.forEach(w -> w.then().run());
    }
}
