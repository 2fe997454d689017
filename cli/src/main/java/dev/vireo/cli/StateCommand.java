package dev.vireo.cli;

import java.time.Instant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "state", description = "Show a VM as it was at an instant, rebuilt from its event log.")
final class StateCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = "--at", paramLabel = "TIME", required = true,
            description = "ISO-8601 instant, e.g. 2025-01-31T12:00:00Z or 2025-01-31T13:00:00+01:00.")
    String at;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "yaml",
            description = "yaml or json (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    void run() {
        Instant instant = Age.parseInstant(at);
        if (instant == null) {
            throw new CommandFailure(CommandFailure.REJECTED,
                    "--at " + at + " is not an ISO-8601 instant; write it like 2025-01-31T12:00:00Z");
        }
        String query = VireoClient.query(VireoClient.params("at", instant.toString()));
        say(Formats.render(client().get(vmPath(name) + "/state" + query),
                output == OutputFormat.json ? OutputFormat.json : OutputFormat.yaml));
    }
}
