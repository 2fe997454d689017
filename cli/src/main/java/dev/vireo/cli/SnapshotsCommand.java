package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "snapshots", description = "List a VM's snapshots.")
final class SnapshotsCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Override
    void run() {
        Table table = new Table("NAME", "PHASE", "MEMORY", "NODE", "SIZE", "PAUSE", "AGE");
        Instant now = Instant.now();
        for (JsonNode s : client().get(vmPath(name) + "/snapshots").path("items")) {
            JsonNode status = s.path("status");
            table.row(s.path("name").asText(), status.path("phase").asText()
                            + (status.has("restoring") ? " (restoring)" : ""), s.path("memory").asBoolean() ? "yes" : "no",
                    status.path("node").asText(), status.path("sizeBytes").asText(),
                    status.has("pauseMs") ? status.path("pauseMs").asText() + "ms" : "",
                    Age.since(status.path("requestedAt").asText(), now));
        }
        out().print(table.render());
    }
}
