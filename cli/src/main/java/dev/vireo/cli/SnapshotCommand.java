package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "snapshot", description = "Take a snapshot of a VM's disks (and, with --memory, of the running guest's memory).")
final class SnapshotCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Parameters(index = "1", paramLabel = "SNAP", description = "Name of the new snapshot.")
    String snapshot;

    @Option(names = "--memory", description = "Keep the running guest's memory too: a restore resumes it without a boot.")
    boolean memory;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        ObjectNode body = Formats.JSON.createObjectNode().put("name", snapshot).put("memory", memory);
        String path = vmPath(name) + "/snapshots";
        client().send("POST", path, body);
        say("virtualmachine/" + name + " snapshot " + snapshot + " requested");
        if (!waiting.wait) {
            return;
        }
        JsonNode done = SnapshotWait.until(client(), path + "/" + snapshot,
                s -> !"InProgress".equals(s.at("/status/phase").asText()), waiting.timeout, "snapshot " + snapshot);
        JsonNode status = done.path("status");
        if ("Failed".equals(status.path("phase").asText())) {
            throw new CommandFailure(1, "snapshot " + snapshot + " of virtualmachine/" + name + " failed: "
                    + status.path("reason").asText());
        }
        say("virtualmachine/" + name + " snapshot " + snapshot + " Succeeded on node " + status.path("node").asText()
                + ": " + status.path("sizeBytes").asLong() + " bytes" + (done.path("memory").asBoolean()
                ? ", memory included" : ", disks only") + (status.has("pauseMs") ? ", guest paused "
                + status.path("pauseMs").asLong() + " ms" : ""));
    }
}
