package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
    @Test
    void readsDurationsAsPeopleTypeThem() {
        assertEquals(Duration.ofSeconds(120), DurationConverter.parse("120s"));
        assertEquals(Duration.ofSeconds(90), DurationConverter.parse("90"));
        assertEquals(Duration.ofMinutes(5), DurationConverter.parse("5m"));
        assertEquals(Duration.ofMinutes(90), DurationConverter.parse("1h30m"));
        assertEquals(Duration.ofMillis(500), DurationConverter.parse("500ms"));
        assertEquals(Duration.ofMinutes(2), DurationConverter.parse("PT2M"));
    }

    @Test
    void nonsenseSaysHowToWriteADuration() {
        CommandLine.TypeConversionException e =
                assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse("2 minutes"));
        assertEquals("'2 minutes' is not a duration: write it like 90s, 2m, 1h30m or 500ms", e.getMessage());
        assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse("5x"));
        assertThrows(CommandLine.TypeConversionException.class, () -> DurationConverter.parse("m"));
    }

    @Test
    void aBadTimeoutIsAUsageError() {
        Cli run = Cli.run("start", "web-1", "--wait", "--timeout", "soon");
        assertEquals(VireoCli.USAGE, run.exit(), run.toString());
        assertEquals(true, run.err().contains("'soon' is not a duration"), run.toString());
    }
}
