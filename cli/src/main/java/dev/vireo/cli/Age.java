package dev.vireo.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Ages as kubectl prints them: precise while young, coarse when old (45s, 3m12s, 2h5m, 4d). */
final class Age {
    private Age() {
    }

    static String since(String timestamp, Instant now) {
        Instant then = parseInstant(timestamp);
        return then == null ? "<unknown>" : of(Duration.between(then, now));
    }

    static String of(Duration age) {
        long s = Math.max(0, age.getSeconds());
        long m = s / 60;
        long h = m / 60;
        long d = h / 24;
        if (s < 120) {
            return s + "s";
        }
        if (m < 10) {
            return s % 60 == 0 ? m + "m" : m + "m" + (s % 60) + "s";
        }
        if (h < 3) {
            return m + "m";
        }
        if (h < 8) {
            return m % 60 == 0 ? h + "h" : h + "h" + (m % 60) + "m";
        }
        if (h < 48) {
            return h + "h";
        }
        if (d < 8) {
            return h % 24 == 0 ? d + "d" : d + "d" + (h % 24) + "h";
        }
        if (d < 365 * 2) {
            return d + "d";
        }
        return (d / 365) + "y";
    }

    /** An ISO-8601 instant, with 'Z' or an offset; null when absent or unreadable. */
    static Instant parseInstant(String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException again) {
                return null;
            }
        }
    }
}
