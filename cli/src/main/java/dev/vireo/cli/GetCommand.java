package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = "List VMs (get vms) or show one (get vm NAME).")
final class GetCommand extends ClientCommand {
    private static final List<String> KINDS = List.of("vm", "vms", "virtualmachine", "virtualmachines");

    @Parameters(index = "0", paramLabel = "KIND", description = "vms (all in the namespace) or vm.")
    String kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "One VM.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    void run() {
        if (!KINDS.contains(kind.toLowerCase())) {
            throw new CommandFailure(CommandFailure.REJECTED, "vireo can get vms, not '" + kind + "': try vireo get vms");
        }
        JsonNode answer = client().get(name == null ? VireoClient.vmsPath(namespace()) : vmPath(name));
        if (output != OutputFormat.table) {
            say(Formats.render(answer, output));
            return;
        }
        List<JsonNode> vms = name == null ? list(answer.path("items")) : List.of(answer);
        if (vms.isEmpty()) {
            err().println("No VMs in namespace " + namespace() + ".");
            err().flush();
            return;
        }
        out().print(table(vms, Instant.now()));
        out().flush();
    }

    static String table(List<JsonNode> vms, Instant now) {
        Table table = new Table("NAME", "STATUS", "NODE", "INCARNATION", "AGE");
        for (JsonNode vm : vms) {
            table.row(Formats.text(vm, "metadata", "name"),
                    Formats.text(vm, "status", "printableStatus"),
                    Formats.text(vm, "status", "node"),
                    Formats.text(vm, "status", "incarnation"),
                    Age.since(Formats.text(vm, "metadata", "creationTimestamp"), now));
        }
        return table.render();
    }

    private static List<JsonNode> list(JsonNode items) {
        List<JsonNode> vms = new java.util.ArrayList<>();
        items.forEach(vms::add);
        return vms;
    }
}
