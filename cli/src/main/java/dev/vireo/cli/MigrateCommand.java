package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "migrate", description = "Live-migrate a running VM to another node (the scheduler picks one unless --target).")
final class MigrateCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = "--target", paramLabel = "NODE", description = "The node to migrate to.")
    String target;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode();
        if (target != null) {
            body.put("targetNode", target);
        }
        JsonNode answer = client().send("POST", vmPath(name) + "/migrate", body);
        String id = firstText(answer, "migrationId", "id", "migration", "name", "uid");
        say("virtualmachine/" + name + " migrating" + (id == null ? "" : " (migration " + id + ")")
                + (target == null ? "" : " to " + target));
    }

    /** The migration id under whichever name the server uses for it. */
    private static String firstText(JsonNode node, String... fields) {
        for (String field : fields) {
            JsonNode value = node.path(field);
            if (value.isValueNode() && !value.asText().isEmpty()) {
                return value.asText();
            }
        }
        return null;
    }
}
