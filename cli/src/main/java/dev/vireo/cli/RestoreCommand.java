package dev.vireo.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "restore", description = "Bring a VM back to one of its snapshots.")
final class RestoreCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Parameters(index = "1", paramLabel = "SNAP", description = "The snapshot to restore.")
    String snapshot;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode().put("snapshot", snapshot);
        client().send("POST", vmPath(name) + "/restore", body);
        say("virtualmachine/" + name + " restoring snapshot " + snapshot);
    }
}
