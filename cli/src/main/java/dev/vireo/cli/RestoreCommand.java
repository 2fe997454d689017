package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = "Bring a VM back to one of its snapshots (a running VM is stopped, restored and"
        + " started again, or resumed from the snapshot's memory).")
final class RestoreCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Parameters(index = "1", paramLabel = "SNAP", description = "The snapshot to restore.")
    String snapshot;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode().put("snapshot", snapshot);
        client().send("POST", vmPath(name) + "/restore", body);
        say("virtualmachine/" + name + " restoring snapshot " + snapshot);
        if (!waiting.wait) {
            return;
        }
        SnapshotWait.until(client(), vmPath(name) + "/snapshots/" + snapshot,
                s -> !s.path("status").has("restoring"), waiting.timeout, "the restore to " + snapshot);
        JsonNode last = null;
        for (JsonNode e : client().get(vmPath(name) + "/history").path("items")) {
            String type = e.path("type").asText();
            if (type.equals("RestoreCompleted") || type.equals("RestoreFailed")) {
                last = e;
            }
        }
        if (last == null || last.path("type").asText().equals("RestoreFailed")) {
            throw new CommandFailure(1, "restore of virtualmachine/" + name + " to snapshot " + snapshot + " failed: "
                    + (last == null ? "no outcome in its history" : last.at("/data/reason").asText()));
        }
        say("virtualmachine/" + name + " restored to snapshot " + snapshot + " (" + last.at("/data/policy").asText()
                + ", guest down " + last.at("/data/pauseMs").asLong() + " ms)");
    }
}
