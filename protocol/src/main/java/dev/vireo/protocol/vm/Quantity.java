package dev.vireo.protocol.vm;

import java.math.BigDecimal;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Kubernetes resource quantities for memory ("128Mi", "1G", "1.5Gi", "134217728"). The text is bounded before it
 * is read as a number, so that a quantity of a million digits costs no more than its length to refuse.
 */
public final class Quantity {

    /** Longer than any whole number of bytes a long holds, written with a fraction and a suffix. */
    public static final int MAX_LENGTH = 32;

    private static final Pattern FORMAT = Pattern.compile("^([0-9]+(?:\\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|K|M|G|T|P|E)?$");
    private static final Map<String, BigDecimal> SUFFIX = Map.ofEntries(
            Map.entry("Ki", BigDecimal.valueOf(1L << 10)), Map.entry("Mi", BigDecimal.valueOf(1L << 20)),
            Map.entry("Gi", BigDecimal.valueOf(1L << 30)), Map.entry("Ti", BigDecimal.valueOf(1L << 40)),
            Map.entry("Pi", BigDecimal.valueOf(1L << 50)), Map.entry("Ei", BigDecimal.valueOf(1L << 60)),
            Map.entry("k", BigDecimal.valueOf(1_000L)), Map.entry("K", BigDecimal.valueOf(1_000L)),
            Map.entry("M", BigDecimal.valueOf(1_000_000L)), Map.entry("G", BigDecimal.valueOf(1_000_000_000L)),
            Map.entry("T", BigDecimal.valueOf(1_000_000_000_000L)), Map.entry("P", BigDecimal.valueOf(1_000_000_000_000_000L)),
            Map.entry("E", BigDecimal.valueOf(1_000_000_000_000_000_000L)));

    private Quantity() {
    }

    /**
     * A quantity as a spec stored before quantities were read strictly may hold it: spaces around it (they
     * were trimmed) and any number of leading zeros (the length was not bounded). Linear in its length.
     */
    public static long parseStoredBytes(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no quantity given");
        }
        String s = text.strip();
        int zeros = 0;
        while (zeros < s.length() - 1 && s.charAt(zeros) == '0' && Character.isDigit(s.charAt(zeros + 1))) {
            zeros++;
        }
        return parseBytes(s.substring(zeros));
    }

    /** @throws IllegalArgumentException when the text is no quantity or not a whole number of bytes */
    public static long parseBytes(String text) {
        if (text == null) {
            throw new IllegalArgumentException("no quantity given");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("'" + text.substring(0, 16) + "…' (" + text.length()
                    + " characters) is not a quantity: at most " + MAX_LENGTH + " characters (examples: 128Mi, 1Gi, 512M)");
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a quantity (examples: 128Mi, 1Gi, 512M)");
        }
        BigDecimal value = new BigDecimal(m.group(1));
        if (m.group(2) != null) {
            value = value.multiply(SUFFIX.get(m.group(2)));
        }
        try {
            return value.setScale(0, java.math.RoundingMode.UNNECESSARY).longValueExact();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is not a whole number of bytes");
        }
    }
}
