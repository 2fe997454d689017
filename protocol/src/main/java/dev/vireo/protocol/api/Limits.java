package dev.vireo.protocol.api;

import com.fasterxml.jackson.core.StreamReadConstraints;

/**
 * The most a client may send, field by field (docs/security.md, "Limits on what a client sends"). Kubernetes'
 * own limits where it has them; every one is checked before anything is stored, so no VM in a journal is
 * larger than these allow.
 */
public final class Limits {

    /** A whole manifest, JSON or YAML, as posted. */
    public static final int MAX_MANIFEST_BYTES = 1 << 20;
    /** Objects and lists inside each other: a manifest needs about six. */
    public static final int MAX_NESTING = 32;
    /** A namespace, a VM's name, a disk's name: a DNS-1123 label. */
    public static final int MAX_NAME = 63;
    public static final int MAX_LABELS = 64;
    public static final int MAX_NODE_SELECTOR = 64;
    public static final int MAX_DISKS = 32;
    /** A label key's prefix (a DNS-1123 subdomain) and its name; a label value. */
    public static final int MAX_LABEL_PREFIX = 253;
    public static final int MAX_LABEL_NAME = 63;
    public static final int MAX_LABEL_VALUE = 63;
    /** The kernel command line: Linux takes at most 2048 (x86) or 4096 (arm64) bytes. */
    public static final int MAX_CMDLINE = 4096;
    /** A kernel, initrd or disk image path: PATH_MAX. */
    public static final int MAX_PATH = 4096;
    public static final int MAX_CORES = 1024;
    /** One day. */
    public static final int MAX_GRACE_PERIOD_SECONDS = 86_400;
    /** What a string or number in a body may be at the most, before any field looks at it. */
    static final StreamReadConstraints PARSER = StreamReadConstraints.builder()
            .maxNestingDepth(MAX_NESTING)
            .maxStringLength(MAX_MANIFEST_BYTES)
            .maxNumberLength(64)
            .maxNameLength(1024)
            .build();

    private Limits() {
    }

    /** {@code value} quoted for a message, cut short: a refusal must not echo a megabyte back. */
    public static String shown(String value) {
        if (value == null) {
            return "nothing";
        }
        return value.length() <= 80 ? "\"" + value + "\""
                : "\"" + value.substring(0, 64) + "…\" (" + value.length() + " characters)";
    }
}
