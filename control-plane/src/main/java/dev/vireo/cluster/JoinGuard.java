package dev.vireo.cluster;

import dev.vireo.protocol.CborSerializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;

/**
 * The join token, proved by every member once it is in: Pekko's join check compares a digest that anyone who
 * saw it can send again, and a member that joins with {@code Cluster.join} instead of through its seed nodes
 * skips that check altogether. So each control plane challenges every other member as soon as it sees it join:
 * a fresh nonce, answered with the HMAC-SHA256 of the member's own address and the nonce, keyed by the join
 * token (which never travels). A member that answers wrong, or not within {@code timeout}, is downed: removed
 * from the cluster, and its address quarantined. Every member runs the responder ({@value #RESPONDER} under
 * {@code /system}); only control planes with a join token run the guard.
 */
public final class JoinGuard {

    public static final String RESPONDER = "vireo-join-proof";

    private JoinGuard() {
    }

    /** Prove the join token for {@code address} with {@code nonce}. */
    public record Challenge(String address, String nonce, ActorRef<Proof> replyTo) implements CborSerializable {
    }

    /** {@code mac}: the HMAC of the address and nonce keyed by the join token; empty without a token. */
    public record Proof(String address, String nonce, String mac) implements CborSerializable {
    }

    private interface Message {
    }

    private record Seen(ClusterEvent.MemberEvent event) implements Message {
    }

    private record Proved(Proof proof) implements Message {
    }

    private enum Tick implements Message { INSTANCE }

    private record Pending(String nonce, long deadline) {
    }

    /** Starts the responder, and the guard on a control plane with a join token. */
    public static void start(ActorSystem<?> system, boolean controlPlane) {
        String token = system.settings().config().getString(JoinToken.TOKEN).strip();
        String self = Cluster.get(system).selfMember().address().toString();
        system.systemActorOf(responder(token, self), RESPONDER, Props.empty());
        if (controlPlane && !token.isEmpty()) {
            Duration timeout = system.settings().config().getDuration("vireo.cluster.join-proof-timeout");
            system.systemActorOf(guard(token, self, timeout), "vireo-join-guard", Props.empty());
        }
    }

    static String mac(String token, String address, String nonce) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return HexFormat.of().formatHex(hmac.doFinal(("vireo-join\n" + address + "\n" + nonce)
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    static Behavior<Challenge> responder(String token, String self) {
        return Behaviors.receive(Challenge.class)
                .onMessage(Challenge.class, c -> {
                    // a proof only for this member's own address: never an oracle for another's
                    if (c.address().equals(self)) {
                        c.replyTo().tell(new Proof(self, c.nonce(), token.isEmpty() ? "" : mac(token, self, c.nonce())));
                    }
                    return Behaviors.same();
                })
                .build();
    }

    private static Behavior<Message> guard(String token, String self, Duration timeout) {
        return Behaviors.setup(context -> Behaviors.withTimers(timers -> {
            Logger log = context.getLog();
            SecureRandom random = new SecureRandom();
            ActorRefResolver resolver = ActorRefResolver.get(context.getSystem());
            ActorRef<Proof> answers = context.messageAdapter(Proof.class, Proved::new);
            Cluster.get(context.getSystem()).subscriptions().tell(Subscribe.create(
                    context.messageAdapter(ClusterEvent.MemberEvent.class, Seen::new), ClusterEvent.MemberEvent.class));
            timers.startTimerAtFixedRate(Tick.INSTANCE, Duration.ofSeconds(1));
            Map<String, Pending> pending = new HashMap<>();
            Set<String> proved = new HashSet<>();
            Runnable[] challengeAll = new Runnable[1];
            challengeAll[0] = () -> pending.forEach((address, p) -> resolver.<Challenge>resolveActorRef(
                    address + "/system/" + RESPONDER).tell(new Challenge(address, p.nonce(), answers)));
            return Behaviors.receive(Message.class)
                    .onMessage(Seen.class, seen -> {
                        Member member = seen.event().member();
                        String address = member.address().toString();
                        if (seen.event() instanceof ClusterEvent.MemberRemoved) {
                            pending.remove(address);
                            proved.remove(address);
                        } else if (!address.equals(self) && !proved.contains(address) && !pending.containsKey(address)) {
                            byte[] nonce = new byte[32];
                            random.nextBytes(nonce);
                            pending.put(address, new Pending(HexFormat.of().formatHex(nonce),
                                    System.nanoTime() + timeout.toNanos()));
                            challengeAll[0].run();
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Proved.class, p -> {
                        Proof proof = p.proof();
                        Pending open = pending.get(proof.address());
                        if (open == null || !open.nonce().equals(proof.nonce())) {
                            return Behaviors.same();
                        }
                        pending.remove(proof.address());
                        if (MessageDigest.isEqual(mac(token, proof.address(), proof.nonce())
                                .getBytes(StandardCharsets.US_ASCII), proof.mac().getBytes(StandardCharsets.US_ASCII))) {
                            proved.add(proof.address());
                            log.info("member {} proved the join token", proof.address());
                        } else {
                            down(context.getSystem(), log, proof.address(), proof.mac().isEmpty()
                                    ? "it has no join token" : "its proof is not made with the cluster's join token");
                        }
                        return Behaviors.same();
                    })
                    .onMessage(Tick.class, t -> {
                        long now = System.nanoTime();
                        pending.entrySet().removeIf(e -> {
                            if (now - e.getValue().deadline() > 0) {
                                down(context.getSystem(), log, e.getKey(), "it did not prove the join token within "
                                        + timeout.toMillis() + " ms");
                                return true;
                            }
                            return false;
                        });
                        challengeAll[0].run(); // again: a challenge sent while the member was joining may be lost
                        return Behaviors.same();
                    })
                    .build();
        }));
    }

    private static void down(ActorSystem<?> system, Logger log, String address, String why) {
        log.warn("member {} is downed: {} (joined without the join check, or with a copied digest)", address, why);
        Cluster.get(system).manager().tell(new Down(org.apache.pekko.actor.AddressFromURIString.parse(address)));
    }
}
