package dev.vireo.protocol.node;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.vireo.protocol.CborSerializable;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * How a node runtime proves which node it is. The control plane holds one credential per node name (a
 * secret token); when a cluster member it does not know yet speaks for a node, the control plane sends it a
 * {@link Challenge}: a fresh nonce and the member's address as the control plane sees it. The member answers
 * with a {@link Proof}: the HMAC-SHA256, keyed by its token, of its node name, that address and the nonce.
 * The token itself never travels, and a proof is good for one nonce and one address only: replayed, or
 * relayed from another member, it proves nothing. From then on the control plane takes that node's
 * registrations, lease renewals and reports only from that member.
 */
public final class NodeIdentity {

    private NodeIdentity() {
    }

    /** What the control plane tells a node runtime's link. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
    @JsonSubTypes({
            @JsonSubTypes.Type(value = Challenge.class, name = "Challenge"),
            @JsonSubTypes.Type(value = Accepted.class, name = "Accepted"),
            @JsonSubTypes.Type(value = Refused.class, name = "Refused")
    })
    public sealed interface ToLink extends CborSerializable {
    }

    /** Prove your node name: sign {@code nonce} for {@code address}, the member the control plane sees. */
    public record Challenge(String address, String nonce) implements ToLink {
    }

    /** The member at {@code address} is node {@code node}: its messages for that node are taken. */
    public record Accepted(String node, String address) implements ToLink {
    }

    /** The member is not taken as node {@code node}, and why; its messages for any node are refused. */
    public record Refused(String node, String reason) implements ToLink {
    }

    /** The answer to a {@link Challenge}; {@code link} is where the answer to the proof goes. */
    public record Proof(String node, String nonce, String mac, ActorRef<ToLink> link) implements FromNode {
    }

    /** The proof that the holder of {@code token} is node {@code node}, for the member at {@code address}. */
    public static String mac(String token, String node, String address, String nonce) {
        try {
            Mac hmac = Mac.getInstance("HmacSHA256");
            hmac.init(new SecretKeySpec(token.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] signed = hmac.doFinal(("vireo-node-identity\n" + node + "\n" + address + "\n" + nonce)
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(signed);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** Whether {@code mac} is the proof for these, compared in constant time. */
    public static boolean verify(String token, String node, String address, String nonce, String mac) {
        if (mac == null || mac.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(mac(token, node, address, nonce).getBytes(StandardCharsets.US_ASCII),
                mac.getBytes(StandardCharsets.US_ASCII));
    }
}
