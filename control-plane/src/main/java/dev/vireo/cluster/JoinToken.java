package dev.vireo.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import org.apache.pekko.cluster.ConfigValidation;
import org.apache.pekko.cluster.Invalid;
import org.apache.pekko.cluster.JoinConfigCompatChecker;
import org.apache.pekko.cluster.Valid$;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Who may join the cluster: with {@code vireo.cluster.join-token} set (a shared secret, {@code
 * --join-token-file}), a member joins only if its token is the same. Pekko's join check compares the
 * members' {@value #DIGEST} (the token's SHA-256; the token itself is never sent): a node runtime or control
 * plane without it, or with another, is refused at the door and cannot send anything to the VMs. Members
 * without a token join a cluster without one, as before.
 */
public final class JoinToken extends JoinConfigCompatChecker {

    public static final String TOKEN = "vireo.cluster.join-token";
    public static final String DIGEST = "vireo.cluster.join-digest";

    /** {@code config} with {@value #DIGEST} set from its token (empty without one). */
    public static Config withDigest(Config config) {
        String token = config.hasPath(TOKEN) ? config.getString(TOKEN).strip() : "";
        return config.withValue(DIGEST, ConfigValueFactory.fromAnyRef(token.isEmpty() ? "" : digest(token)));
    }

    public static String digest(String token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(("vireo-join:" + token).getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public scala.collection.immutable.Seq<String> requiredKeys() {
        return CollectionConverters.asScala(List.of(DIGEST)).toList();
    }

    @Override
    public ConfigValidation check(Config joining, Config ours) {
        String expected = ours.hasPath(DIGEST) ? ours.getString(DIGEST) : "";
        String given = joining.hasPath(DIGEST) ? joining.getString(DIGEST) : "";
        if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII), given.getBytes(StandardCharsets.US_ASCII))) {
            return Valid$.MODULE$;
        }
        return new Invalid(CollectionConverters.asScala(List.of(given.isEmpty()
                ? "the member has no join token; this cluster needs one (--join-token-file)"
                : "the member's join token is not this cluster's")).toList());
    }
}
