package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "history", description = "Every event of a VM: who asked for what, and what happened. Kept after deletion.")
final class HistoryCommand extends ClientCommand {
    private static final Pattern UUID = Pattern.compile("\\p{XDigit}{8}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{4}-\\p{XDigit}{12}");

    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    void run() {
        JsonNode answer = client().get(vmPath(name) + "/history");
        if (output != OutputFormat.table) {
            say(Formats.render(answer, output));
            return;
        }
        out().print(table(answer.path("items")));
        out().flush();
    }

    static String table(JsonNode items) {
        Table table = new Table("SEQ", "TIME", "TYPE", "PRINCIPAL", "REQUEST", "DATA");
        for (JsonNode entry : items) {
            table.row(Formats.text(entry, "seqNr"),
                    time(Formats.text(entry, "timestamp")),
                    Formats.text(entry, "type"),
                    Formats.text(entry, "principal"),
                    shortId(Formats.text(entry, "requestId")),
                    DataSummary.of(entry.path("data")));
        }
        return table.render();
    }

    /** Timestamps to the second: enough to read, and the JSON output keeps the rest. */
    static String time(String timestamp) {
        Instant instant = Age.parseInstant(timestamp);
        return instant == null ? timestamp : instant.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /** A UUID request id shortened to 8 characters, like a git hash; other ids (node-made) stay whole. */
    static String shortId(String requestId) {
        return requestId != null && UUID.matcher(requestId).matches() ? requestId.substring(0, 8) : requestId;
    }
}
