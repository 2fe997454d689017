package dev.vireo.protocol.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Kubernetes memory quantities: binary and decimal suffixes, bare bytes, nothing else. */
class QuantityTest {

    @ParameterizedTest
    @CsvSource({
            "128Mi, 134217728",
            "1Gi, 1073741824",
            "1.5Gi, 1610612736",
            "512M, 512000000",
            "134217728, 134217728",
            "64Ki, 65536",
            "2k, 2000",
            "1T, 1000000000000",
            "0.5Mi, 524288"})
    void parsesKubernetesQuantities(String text, long bytes) {
        assertEquals(bytes, Quantity.parseBytes(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"12XB", "-1", "", " ", "Mi", "1 Gi", "1gi", "1e3", "0x10", "1.5"})
    void rejectsWhatIsNoWholeQuantity(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Quantity.parseBytes(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @Test
    void rejectsNothing() {
        assertThrows(IllegalArgumentException.class, () -> Quantity.parseBytes(null));
    }

    @Test
    void rejectsMoreBytesThanALongHolds() {
        assertThrows(IllegalArgumentException.class, () -> Quantity.parseBytes("16Ei"));
    }

    @Test
    void leadingOrTrailingSpaceIsNoQuantity() {
        assertThrows(IllegalArgumentException.class, () -> Quantity.parseBytes(" 128Mi"));
        assertThrows(IllegalArgumentException.class, () -> Quantity.parseBytes("128Mi "));
    }

    @Test
    void aMillionDigitsAreRefusedAtOnceWithoutEchoingThem() {
        String digits = "9".repeat(1_000_000);
        long started = System.nanoTime();
        for (int i = 0; i < 100; i++) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Quantity.parseBytes(digits + "Mi"));
            assertTrue(e.getMessage().length() < 200, "the message quotes the whole input");
            assertTrue(e.getMessage().contains("at most " + Quantity.MAX_LENGTH + " characters"), e.getMessage());
        }
        // today's parser built a BigDecimal of every digit: 55 s for one; refusing by length costs nothing
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 5_000, "100 refusals of a million digits took " + millis + " ms");
    }

    @Test
    void theLongestWholeQuantityStillParses() {
        assertEquals(Long.MAX_VALUE, Quantity.parseBytes(Long.toString(Long.MAX_VALUE)));
        assertEquals(1L << 20, Quantity.parseBytes("0.0009765625Gi"));
    }

    @Test
    void aQuantityStoredBeforeStrictReadingStillReads() {
        assertEquals(128L << 20, Quantity.parseStoredBytes(" 128Mi "));
        assertEquals(128L << 20, Quantity.parseStoredBytes("0".repeat(100_000) + "128Mi"));
        assertEquals(0, Quantity.parseStoredBytes("0"));
        assertEquals(1L << 19, Quantity.parseStoredBytes("00.5Mi"));
        assertThrows(IllegalArgumentException.class, () -> Quantity.parseStoredBytes("9".repeat(100_000)));
    }
}
