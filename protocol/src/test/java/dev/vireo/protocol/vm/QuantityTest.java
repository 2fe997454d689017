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
}
