package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "get", description = "List VMs (get vms) or show one (get vm NAME); list the nodes (get nodes) or"
        + " show one (get node NAME).")
final class GetCommand extends ClientCommand {
    private static final List<String> KINDS = List.of("vm", "vms", "virtualmachine", "virtualmachines");
    private static final List<String> NODE_KINDS = List.of("node", "nodes");

    @Parameters(index = "0", paramLabel = "KIND", description = "vms (all in the namespace), vm, nodes or node.")
    String kind;

    @Parameters(index = "1", arity = "0..1", paramLabel = "NAME", description = "One VM.")
    String name;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "table, json or yaml (default: ${DEFAULT-VALUE}).")
    OutputFormat output;

    @Override
    void run() {
        if (NODE_KINDS.contains(kind.toLowerCase())) {
            nodes();
            return;
        }
        if (!KINDS.contains(kind.toLowerCase())) {
            throw new CommandFailure(CommandFailure.REJECTED, "vireo can get vms or nodes, not '" + kind
                    + "': try vireo get vms");
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

    private void nodes() {
        JsonNode answer = client().get(name == null ? "/api/v1/nodes" : "/api/v1/nodes/" + name);
        if (output != OutputFormat.table) {
            say(Formats.render(answer, output));
            return;
        }
        List<JsonNode> nodes = name == null ? list(answer.path("items")) : List.of(answer);
        if (nodes.isEmpty()) {
            err().println("No nodes have registered.");
            err().flush();
            return;
        }
        out().print(nodeTable(nodes));
        out().flush();
    }

    /** One row per node: its state (with SchedulingDisabled when cordoned), vCPUs and memory allocated of capacity. */
    static String nodeTable(List<JsonNode> nodes) {
        Table table = new Table("NAME", "STATUS", "CPU", "MEMORY", "VMS", "HYPERVISOR", "REASON");
        for (JsonNode node : nodes) {
            String state = Formats.text(node, "state") + (node.path("cordoned").asBoolean() ? ",SchedulingDisabled" : "");
            table.row(Formats.text(node, "name"), state,
                    node.path("allocated").path("cpus").asLong() + "/" + node.path("capacity").path("cpus").asLong(),
                    mib(node.path("allocated").path("memoryBytes").asLong()) + "/"
                            + mib(node.path("capacity").path("memoryBytes").asLong()),
                    Integer.toString(node.path("virtualMachines").size()),
                    Formats.text(node, "hypervisor"), Formats.text(node, "reason"));
        }
        return table.render();
    }

    private static String mib(long bytes) {
        return bytes % (1L << 30) == 0 && bytes > 0 ? (bytes >> 30) + "Gi" : (bytes >> 20) + "Mi";
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
