package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AgeTest {
    @Test
    void agesArePreciseWhileYoungAndCoarseWhenOld() {
        assertEquals("0s", Age.of(Duration.ZERO));
        assertEquals("45s", Age.of(Duration.ofSeconds(45)));
        assertEquals("119s", Age.of(Duration.ofSeconds(119)));
        assertEquals("3m12s", Age.of(Duration.ofSeconds(192)));
        assertEquals("5m", Age.of(Duration.ofMinutes(5)));
        assertEquals("42m", Age.of(Duration.ofMinutes(42)));
        assertEquals("5h7m", Age.of(Duration.ofMinutes(307)));
        assertEquals("30h", Age.of(Duration.ofHours(30)));
        assertEquals("3d4h", Age.of(Duration.ofHours(76)));
        assertEquals("40d", Age.of(Duration.ofDays(40)));
        assertEquals("3y", Age.of(Duration.ofDays(365 * 3 + 10)));
    }

    @Test
    void aTimestampInTheFutureIsZeroNotNegative() {
        assertEquals("0s", Age.since("2030-01-01T00:00:00Z", Instant.parse("2029-12-31T23:59:00Z")));
    }

    @Test
    void timestampsMayCarryAnOffset() {
        assertEquals("60m", Age.since("2025-01-01T12:00:00+01:00", Instant.parse("2025-01-01T12:00:00Z")));
    }

    @Test
    void aMissingOrUnreadableTimestampIsUnknown() {
        assertEquals("<unknown>", Age.since(null, Instant.now()));
        assertEquals("<unknown>", Age.since("yesterday", Instant.now()));
    }
}
