package dev.vireo.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot", description = "Take a snapshot (disks and memory) of a VM.")
final class SnapshotCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Parameters(index = "1", paramLabel = "SNAP", description = "Name of the new snapshot.")
    String snapshot;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode().put("name", snapshot);
        client().send("POST", vmPath(name) + "/snapshots", body);
        say("virtualmachine/" + name + " snapshot " + snapshot + " requested");
    }
}
