package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseParserTest {
    private static List<SseEvent> parse(String... lines) {
        SseParser parser = new SseParser();
        List<SseEvent> events = new ArrayList<>();
        for (String line : lines) {
            parser.feed(line).ifPresent(events::add);
        }
        return events;
    }

    @Test
    void aBlankLineCompletesAnEventWithItsOffsetTypeAndData() {
        assertEquals(List.of(new SseEvent("42", "DomainStarted", "{\"name\":\"web-1\"}")),
                parse("id: 42", "event: DomainStarted", "data: {\"name\":\"web-1\"}", ""));
    }

    @Test
    void dataLinesAreJoinedWithNewlines() {
        assertEquals("a\nb", parse("data: a", "data: b", "").get(0).data());
    }

    @Test
    void commentsAndKeepAlivesAreIgnored() {
        assertEquals(List.of(), parse(": keep-alive", "", ":", ""));
    }

    @Test
    void onlyOneLeadingSpaceIsStrippedAndAFieldWithoutColonIsEmpty() {
        assertEquals("  x", parse("data:   x", "").get(0).data());
        assertEquals("", parse("data", "").get(0).data());
    }

    @Test
    void anEventWithoutTypeIsAMessageAndTheLastIdCarriesOver() {
        List<SseEvent> events = parse("id: 7", "data: one", "", "data: two", "");
        assertEquals(new SseEvent("7", "message", "one"), events.get(0));
        assertEquals(new SseEvent("7", "message", "two"), events.get(1));
    }

    @Test
    void unknownFieldsAndRetryAreIgnored() {
        assertEquals(List.of(new SseEvent(null, "X", "d")), parse("retry: 1000", "foo: bar", "event: X", "data: d", ""));
    }

    @Test
    void anEventLineIsPrintedAsOffsetTimeNamespaceNameAndType() {
        SseEvent event = new SseEvent("42", "DomainStarted",
                "{\"timestamp\":\"2025-01-01T10:00:00.5Z\",\"namespace\":\"default\",\"name\":\"web-1\",\"type\":\"DomainStarted\"}");
        assertEquals("42      2025-01-01T10:00:00Z  default/web-1             DomainStarted",
                EventsCommand.line(event, DataSummary.parse(event.data())));
    }
}
