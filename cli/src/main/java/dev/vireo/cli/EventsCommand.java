package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.Optional;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Reads the global SSE stream. Without --follow it replays from the beginning (or --since) and stops
 * once the stream has been quiet for a second: the server never ends the stream itself, so quiet is
 * the only sign that the backlog has been read. With --follow it shows new events (or those after
 * --since) until interrupted, reconnecting after the last offset if the connection drops.
 */
@Command(name = "events", description = {
        "Print VM events, one line each: OFFSET TIME NAMESPACE/NAME TYPE.",
        "Without --follow: all past events (or those after --since), ending when the stream has been quiet for 1s.",
        "With --follow: new events (or those after --since) until Ctrl-C."})
final class EventsCommand extends ClientCommand {
    static final Duration QUIET = Duration.ofSeconds(1);
    /** The first event may take a moment longer: the server reads it from the journal. */
    static final Duration FIRST_EVENT = Duration.ofSeconds(3);
    private static final Duration RECONNECT = Duration.ofSeconds(1);

    @Option(names = {"-f", "--follow"}, description = "Keep streaming new events.")
    boolean follow;

    @Option(names = "--since", paramLabel = "OFFSET", description = "Start after this offset (0 = from the beginning).")
    String since;

    @Option(names = "--type", paramLabel = "TYPE", description = "Only events of this type, e.g. DomainCrashed.")
    String type;

    @Option(names = "--name", paramLabel = "NAME", description = "Only events of this VM.")
    String name;

    @Option(names = {"-A", "--all-namespaces"}, description = "Events of every namespace, not just -n.")
    boolean allNamespaces;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table (one line per event) or json (one JSON object per line).")
    OutputFormat output;

    @Override
    void run() throws InterruptedException {
        String offset = since != null ? since : (follow ? null : "0");
        boolean first = true;
        while (true) {
            try (EventStream stream = EventStream.open(client(), path(offset), Duration.ofSeconds(30))) {
                while (true) {
                    Optional<SseEvent> event = follow ? stream.next() : stream.next(first ? FIRST_EVENT : QUIET);
                    if (event.isEmpty()) {
                        break;
                    }
                    first = false;
                    if (event.get().id() != null) {
                        offset = event.get().id();
                    }
                    print(event.get());
                }
            }
            if (!follow) {
                return;
            }
            err().println("the event stream ended; reconnecting after offset " + offset);
            err().flush();
            Thread.sleep(RECONNECT.toMillis());
        }
    }

    private String path(String offset) {
        return "/api/v1/events" + VireoClient.query(VireoClient.params(
                "since", offset,
                "namespace", allNamespaces ? null : namespace(),
                "name", name,
                "type", type));
    }

    private void print(SseEvent event) {
        JsonNode data = DataSummary.parse(event.data());
        if (!matches(event, data)) {
            return;
        }
        out().println(output == OutputFormat.json ? data.toString() : line(event, data));
        out().flush();
    }

    /** The server filters too; this keeps the output right if it ignores a filter. */
    private boolean matches(SseEvent event, JsonNode data) {
        return (type == null || type.equals(typeOf(event, data)))
                && (name == null || name.equals(Formats.text(data, "name")))
                && (allNamespaces || Formats.text(data, "namespace") == null
                        || namespace().equals(Formats.text(data, "namespace")));
    }

    static String line(SseEvent event, JsonNode data) {
        String vm = orDash(Formats.text(data, "namespace")) + "/" + orDash(Formats.text(data, "name"));
        return String.format("%-6s  %-20s  %-24s  %s", orDash(event.id()),
                orDash(HistoryCommand.time(Formats.text(data, "timestamp"))), vm, typeOf(event, data));
    }

    private static String typeOf(SseEvent event, JsonNode data) {
        String fromData = Formats.text(data, "type");
        return event.event() != null && !"message".equals(event.event()) ? event.event()
                : fromData != null ? fromData : event.event();
    }

    private static String orDash(String s) {
        return s == null ? "-" : s;
    }
}
