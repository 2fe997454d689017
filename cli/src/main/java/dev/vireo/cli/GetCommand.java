package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR",
            description = "Only VMs whose labels match, e.g. app=web,env in (prod,staging).")
    String selector;

    @Option(names = {"-A", "--all-namespaces"}, description = "VMs of every namespace.")
    boolean allNamespaces;

    @Option(names = "--chunk-size", paramLabel = "N", defaultValue = "500",
            description = "Ask for the list N VMs at a time, following each page's continue token (0: all at once;"
                    + " default: ${DEFAULT-VALUE}).")
    int chunkSize;

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
        if (chunkSize < 0) {
            throw new CommandFailure(CommandFailure.REJECTED, "--chunk-size " + chunkSize + " is not a number of VMs:"
                    + " give 1 or more, or 0 for all at once");
        }
        JsonNode answer = name == null ? listAll() : client().get(vmPath(name));
        if (output != OutputFormat.table) {
            say(Formats.render(answer, output));
            return;
        }
        List<JsonNode> vms = name == null ? items(answer) : List.of(answer);
        if (vms.isEmpty()) {
            err().println(allNamespaces ? "No VMs found." : "No VMs in namespace " + namespace() + ".");
            err().flush();
            return;
        }
        out().print(table(vms, Instant.now(), allNamespaces));
        out().flush();
    }

    private void nodes() {
        JsonNode answer = client().get(name == null ? "/api/v1/nodes" : "/api/v1/nodes/" + name);
        if (output != OutputFormat.table) {
            say(Formats.render(answer, output));
            return;
        }
        List<JsonNode> nodes = name == null ? items(answer) : List.of(answer);
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

    /** Every page of the list, as one list: the first answer with the items of all pages. */
    private JsonNode listAll() {
        String path = allNamespaces ? VireoClient.ALL_VMS : VireoClient.vmsPath(namespace());
        ObjectNode list = null;
        ArrayNode all = Formats.JSON.createArrayNode();
        String next = null;
        do {
            JsonNode page = client().get(path + VireoClient.query(VireoClient.params(
                    "limit", chunkSize > 0 ? Integer.toString(chunkSize) : null, "labelSelector", selector,
                    "continue", next)));
            if (list == null) {
                list = page.isObject() ? ((ObjectNode) page).deepCopy() : Formats.JSON.createObjectNode();
            }
            page.path("items").forEach(all::add);
            next = Formats.text(page, "metadata", "continue");
        } while (next != null && !next.isEmpty());
        if (list.path("metadata") instanceof ObjectNode metadata) {
            metadata.remove("continue");
        }
        list.set("items", all);
        return list;
    }

    static String table(List<JsonNode> vms, Instant now) {
        return table(vms, now, false);
    }

    static String table(List<JsonNode> vms, Instant now, boolean withNamespace) {
        Table table = withNamespace ? new Table("NAMESPACE", "NAME", "STATUS", "NODE", "INCARNATION", "AGE")
                : new Table("NAME", "STATUS", "NODE", "INCARNATION", "AGE");
        for (JsonNode vm : vms) {
            List<String> row = new ArrayList<>();
            if (withNamespace) {
                row.add(Formats.text(vm, "metadata", "namespace"));
            }
            row.addAll(Arrays.asList(Formats.text(vm, "metadata", "name"),
                    Formats.text(vm, "status", "printableStatus"),
                    Formats.text(vm, "status", "node"),
                    Formats.text(vm, "status", "incarnation"),
                    Age.since(Formats.text(vm, "metadata", "creationTimestamp"), now)));
            table.row(row.toArray(String[]::new));
        }
        return table.render();
    }

    private static List<JsonNode> items(JsonNode list) {
        List<JsonNode> vms = new ArrayList<>();
        list.path("items").forEach(vms::add);
        return vms;
    }
}
