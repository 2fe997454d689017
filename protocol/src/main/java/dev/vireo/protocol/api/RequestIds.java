package dev.vireo.protocol.api;

import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Request ids: the {@code requestId} of every event says which request caused it. Vireo names its own with
 * these prefixes; a client's {@code X-Request-Id} may be any short token that does not begin with one of
 * them, so that nothing a client does can pass for what a node, a recovery, a back-off or the Kubernetes sync
 * did. A client's id that breaks these rules is refused (400), not replaced: the client learns at once that
 * its id would not have been the one recorded.
 */
public final class RequestIds {

    /** Reports of a node and what the control plane decides about nodes (joined, not ready, lost). */
    public static final String NODE = "node-";
    /** An entity that resumes its work after a restart. */
    public static final String RECOVERY = "recovery-";
    /** The end of a CrashLoopBackOff. */
    public static final String BACKOFF = "backoff-";
    /** The two-way sync with Kubernetes custom resources. */
    public static final String KUBE = "kube-";
    public static final List<String> RESERVED = List.of(NODE, RECOVERY, BACKOFF, KUBE);
    public static final int MAX_LENGTH = 128;
    public static final String HEADER = "X-Request-Id";

    private RequestIds() {
    }

    /** An id for a request that came without one: 13 characters of a random UUID, never a reserved prefix. */
    public static String generated() {
        return UUID.randomUUID().toString().substring(0, 13);
    }

    /** {@code given} when a client may use it as its request id; else a refusal naming the header. */
    public static String checked(String given) {
        if (given.length() > MAX_LENGTH) {
            throw invalid("is " + given.length() + " characters; at most " + MAX_LENGTH);
        }
        for (int i = 0; i < given.length(); i++) {
            if (!isTokenChar(given.charAt(i))) {
                throw invalid("holds " + (given.charAt(i) < 0x20 || given.charAt(i) > 0x7e ? "the character U+"
                        + String.format("%04X", (int) given.charAt(i)) : "'" + given.charAt(i) + "'")
                        + "; use letters, digits and !#$%&'*+-.^_`|~ (an HTTP token)");
            }
        }
        String lower = given.toLowerCase(Locale.ROOT);
        for (String prefix : RESERVED) {
            if (lower.startsWith(prefix)) {
                throw invalid("begins with \"" + prefix + "\", which names what Vireo itself does; choose another id");
            }
        }
        return given;
    }

    private static boolean isTokenChar(char c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
    }

    private static InvalidManifestException invalid(String why) {
        return new InvalidManifestException(HEADER, HEADER + " " + why);
    }
}
