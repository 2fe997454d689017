package dev.vireo.protocol.api;

import java.util.regex.Pattern;

/**
 * Kubernetes' syntax of label keys and values (also of node selectors and selector requirements): a key is
 * {@code [prefix/]name}, the prefix a DNS-1123 subdomain of at most 253 characters, the name at most 63
 * letters, digits, '-', '_' or '.', beginning and ending with a letter or digit; a value is empty or such a name.
 */
public final class LabelSyntax {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?");
    private static final Pattern SUBDOMAIN = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");

    private LabelSyntax() {
    }

    /** What is wrong with {@code key}, or null when it is a label key. */
    public static String keyProblem(String key) {
        if (key == null || key.isEmpty()) {
            return "a label key is empty";
        }
        if (key.length() > Limits.MAX_LABEL_PREFIX + 1 + Limits.MAX_LABEL_NAME) {
            return Limits.shown(key) + " is not a label key: longer than a prefix of " + Limits.MAX_LABEL_PREFIX
                    + " and a name of " + Limits.MAX_LABEL_NAME + " characters";
        }
        int slash = key.indexOf('/');
        String name = slash < 0 ? key : key.substring(slash + 1);
        String prefix = slash < 0 ? null : key.substring(0, slash);
        if (prefix != null && (prefix.isEmpty() || prefix.length() > Limits.MAX_LABEL_PREFIX
                || !SUBDOMAIN.matcher(prefix).matches())) {
            return Limits.shown(key) + " is not a label key: its prefix (before '/') must be a DNS subdomain of at most "
                    + Limits.MAX_LABEL_PREFIX + " lower-case letters, digits, '-' and '.'";
        }
        if (!isName(name)) {
            return Limits.shown(key) + " is not a label key: [prefix/]name, the name at most " + Limits.MAX_LABEL_NAME
                    + " letters, digits, '-', '_' or '.', beginning and ending with a letter or digit";
        }
        return null;
    }

    /** What is wrong with {@code value}, or null when it is a label value. */
    public static String valueProblem(String value) {
        if (value == null) {
            return "a label value is null; give a value (\"\" is one) or leave the label out";
        }
        if (!value.isEmpty() && !isName(value)) {
            return Limits.shown(value) + " is not a label value: empty, or at most " + Limits.MAX_LABEL_VALUE
                    + " letters, digits, '-', '_' or '.', beginning and ending with a letter or digit";
        }
        return null;
    }

    private static boolean isName(String s) {
        return s.length() <= Limits.MAX_LABEL_NAME && NAME.matcher(s).matches();
    }
}
