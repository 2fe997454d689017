package dev.vireo.cli;

import java.util.Optional;

/**
 * Turns the lines of a text/event-stream into events, following the WHATWG rules:
 * fields until a blank line, data lines joined with newlines, comments ignored.
 */
final class SseParser {
    private String id;
    private String event;
    private StringBuilder data;

    /** Feeds one line (without its terminator); answers the event a blank line completes. */
    Optional<SseEvent> feed(String line) {
        if (line.isEmpty()) {
            return dispatch();
        }
        if (line.startsWith(":")) {
            return Optional.empty();
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "id" -> id = value;
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            default -> {
                // retry and unknown fields mean nothing to a command line client
            }
        }
        return Optional.empty();
    }

    private Optional<SseEvent> dispatch() {
        if (data == null) {
            event = null;
            return Optional.empty();
        }
        // The id persists across events, as the spec says: it is the last offset seen.
        SseEvent complete = new SseEvent(id, event == null ? "message" : event, data.toString());
        event = null;
        data = null;
        return Optional.of(complete);
    }
}
