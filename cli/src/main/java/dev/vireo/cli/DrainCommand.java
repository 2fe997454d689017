package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code vireo drain NODE [--wait]}: cordon the node and move its VMs off it as their evictionStrategy says. */
@Command(name = "drain", description = "Cordon a node and move its VMs off it: live-migrate those whose"
        + " evictionStrategy is LiveMigrate, restart the others elsewhere.")
final class DrainCommand extends ClientCommand {

    private static final long POLL_MS = 500;

    @Parameters(index = "0", paramLabel = "NODE", description = "The node.")
    String node;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        JsonNode answer = client().send("POST", "/api/v1/nodes/" + node + "/drain", null);
        say("node/" + node + " cordoned");
        int notMoved = 0;
        for (JsonNode item : answer.path("items")) {
            String action = item.path("action").asText();
            String line = "  " + item.path("vm").asText() + ": " + action
                    + (item.hasNonNull("migrationId") ? " (migration " + item.path("migrationId").asText() + ")" : "")
                    + (item.hasNonNull("reason") ? ": " + item.path("reason").asText() : "");
            say(line);
            if (action.equals("NotMoved")) {
                notMoved++;
            }
        }
        if (waiting.wait) {
            awaitEmpty();
        }
        if (notMoved > 0) {
            throw new CommandFailure(CommandFailure.WAIT_FAILED, notMoved + " VM(s) could not be moved off node " + node);
        }
    }

    private void awaitEmpty() {
        long deadline = System.nanoTime() + waiting.timeout.toNanos();
        while (true) {
            JsonNode view = client().get("/api/v1/nodes/" + node);
            int left = view.path("virtualMachines").size();
            if (left == 0) {
                say("node/" + node + " drained: it runs no VM");
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new CommandFailure(CommandFailure.WAIT_TIMED_OUT, "node " + node + " still runs " + left
                        + " VM(s) after " + waiting.timeout.toSeconds() + " s: " + view.path("virtualMachines"));
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
