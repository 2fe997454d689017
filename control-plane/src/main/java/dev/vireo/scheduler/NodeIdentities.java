package dev.vireo.scheduler;

import dev.vireo.auth.NodeCredentials;
import dev.vireo.protocol.node.NodeIdentity;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Which cluster member is which node, when nodes must prove their names ({@code --node-tokens}). A member
 * that speaks for a node before it proved to be that node is challenged ({@link NodeIdentity}); what it sent
 * meanwhile is held (a few dozen messages) and taken once it proved its name, or dropped if it did not. A
 * proven member's messages count only for its own node: a report, registration or lease renewal naming any
 * other is refused. A name stays with its member while that member is in the cluster and reachable: another
 * member that proves the same name then is refused; once it is gone (a restarted node runtime is a new member)
 * the new one takes the name. Plain code, run on the scheduler's thread; time is given in nanoseconds.
 */
final class NodeIdentities {

    static final Duration RECHALLENGE = Duration.ofSeconds(5);
    static final Duration REFUSED_FOR = Duration.ofSeconds(10);
    static final Duration PENDING_FOR = Duration.ofSeconds(60);
    static final int HELD_PER_MEMBER = 64;
    static final int PENDING_MEMBERS = 256;

    /** What becomes of a message a member sends for a node. */
    sealed interface Admission {
    }

    /** The member is that node: take the message. */
    record Admit() implements Admission {
    }

    /**
     * The member has not proved its name yet: the message waits; send it {@code nonce} if not null. {@code again}:
     * the member was refused before (it is asked again, in case its credential was mended; not news for the log).
     */
    record Held(String nonce, boolean again) implements Admission {
    }

    /** Refused: {@code count} refusals so far; {@code log}: the first of its kind, say so. */
    record Refuse(String reason, long count, boolean log) implements Admission {
    }

    /** What a proof came to. */
    sealed interface Verdict {
    }

    /** The member is the node; {@code held}: its waiting messages, in order; {@code replaced}: the member that was. */
    record Bound(List<Scheduler.Command> held, String replaced) implements Verdict {
    }

    /** The member is not taken as that node; {@code dropped} of its messages are dropped; {@code news}: a new reason. */
    record NotBound(String reason, int dropped, boolean news) implements Verdict {
    }

    /** A proof for no open challenge (a late answer to an earlier one, or a replay): nothing changes. */
    record Ignored(String reason) implements Verdict {
    }

    private record Pending(String nonce, long issued, List<Scheduler.Command> held) {
    }

    private record Refusal(long until, String reason) {
    }

    private static final Admission ADMIT = new Admit();

    private final NodeCredentials credentials;
    private final Predicate<String> memberAlive;
    private final Supplier<String> nonces;
    private final Map<String, String> nodeOf = new HashMap<>();
    private final Map<String, String> memberOf = new HashMap<>();
    private final Map<String, String> tokenOf = new HashMap<>();
    private final Map<String, Pending> pending = new HashMap<>();
    private final Map<String, Refusal> refused = new HashMap<>();
    private final Set<String> loggedRefusals = new HashSet<>();
    private final Map<String, String> lastRefusal = new HashMap<>();
    private long refusals;

    /** @param memberAlive whether the member at an address is in the cluster and reachable */
    NodeIdentities(NodeCredentials credentials, Predicate<String> memberAlive) {
        this(credentials, memberAlive, NodeIdentities::nonce);
    }

    NodeIdentities(NodeCredentials credentials, Predicate<String> memberAlive, Supplier<String> nonces) {
        this.credentials = credentials;
        this.memberAlive = memberAlive;
        this.nonces = nonces;
    }

    private static final SecureRandom RANDOM = new SecureRandom();

    private static String nonce() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return java.util.HexFormat.of().formatHex(bytes);
    }

    /** The member at {@code address} sends {@code message} for node {@code node}. */
    Admission admit(String address, String node, Scheduler.Command message, long now) {
        String proven = nodeOf.get(address);
        if (proven != null) {
            return proven.equals(node) ? ADMIT
                    : refuse(address, node, "the member at " + address + " proved to be node " + proven + ", not " + node);
        }
        Refusal refusal = refused.get(address);
        if (refusal != null && now - refusal.until() < 0) {
            return refuse(address, node, "the member at " + address + " was refused: " + refusal.reason());
        }
        Pending p = pending.get(address);
        if (p != null && now - p.issued() < RECHALLENGE.toNanos()) {
            hold(p, message);
            return new Held(null, false);
        }
        if (p == null && pending.size() >= PENDING_MEMBERS) {
            return refuse(address, node, PENDING_MEMBERS + " members are already asked to prove their names");
        }
        Pending challenge = new Pending(nonces.get(), now, p == null ? new ArrayList<>() : p.held());
        pending.put(address, challenge);
        hold(challenge, message);
        return new Held(challenge.nonce(), lastRefusal.containsKey(address));
    }

    private static void hold(Pending p, Scheduler.Command message) {
        if (p.held().size() >= HELD_PER_MEMBER) {
            p.held().remove(0); // registrations and renewals come again; the oldest matters least
        }
        p.held().add(message);
    }

    private Refuse refuse(String address, String node, String reason) {
        refusals++;
        boolean first = loggedRefusals.add(address + "|" + node);
        return new Refuse(reason, refusals, first || refusals % 100 == 0);
    }

    /** The member at {@code address} says it is {@code node}, with {@code mac} for {@code nonce}. */
    Verdict prove(String address, String node, String nonce, String mac, long now) {
        Pending p = pending.get(address);
        if (p == null || !p.nonce().equals(nonce)) {
            return new Ignored("no challenge with that nonce is open for the member at " + address);
        }
        pending.remove(address);
        String token = credentials.token(node).orElse(null);
        String reason;
        if (token == null) {
            reason = "no credential for node " + node + " in " + credentials.path();
        } else if (!NodeIdentity.verify(token, node, address, nonce, mac)) {
            reason = mac == null || mac.isEmpty() ? "it has no credential (vireo node --node-token-file)"
                    : "its proof is not made with node " + node + "'s credential";
        } else {
            String other = memberOf.get(node);
            if (other != null && !other.equals(address) && memberAlive.test(other)) {
                reason = "node " + node + " is the member at " + other + ", which is still in the cluster";
            } else {
                if (other != null) {
                    nodeOf.remove(other);
                }
                memberOf.put(node, address);
                nodeOf.put(address, node);
                tokenOf.put(node, token);
                refused.remove(address);
                loggedRefusals.removeIf(key -> key.startsWith(address + "|"));
                lastRefusal.remove(address);
                return new Bound(List.copyOf(p.held()), Objects.equals(other, address) ? null : other);
            }
        }
        refused.put(address, new Refusal(now + REFUSED_FOR.toNanos(), reason));
        refusals += p.held().size();
        if (lastRefusal.size() > 4 * PENDING_MEMBERS) {
            lastRefusal.clear();
        }
        return new NotBound(reason, p.held().size(), !reason.equals(lastRefusal.put(address, reason)));
    }

    /**
     * The node credentials file as it is now: a node whose credential changed or was removed is no longer
     * bound to its member (which must prove its name again). Challenges never answered are forgotten.
     * Returns the nodes unbound, with the member each was.
     */
    Map<String, String> refresh(long now) {
        Map<String, String> current = credentials.current();
        Map<String, String> unbound = new HashMap<>();
        for (String node : List.copyOf(memberOf.keySet())) {
            if (!Objects.equals(current.get(node), tokenOf.get(node))) {
                String address = memberOf.remove(node);
                nodeOf.remove(address);
                tokenOf.remove(node);
                unbound.put(node, address);
            }
        }
        pending.values().removeIf(p -> now - p.issued() > PENDING_FOR.toNanos());
        refused.values().removeIf(r -> now - r.until() > 0);
        return unbound;
    }

    /** The member bound to {@code node}, if any. */
    String memberOf(String node) {
        return memberOf.get(node);
    }

    /** Messages refused so far (each message held for a member that failed to prove its name counts too). */
    long refusals() {
        return refusals;
    }
}
