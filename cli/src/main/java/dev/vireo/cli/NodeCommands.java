package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code vireo cordon|uncordon NODE}: a cordoned node gets no new VMs; those it runs stay. */
final class NodeCommands {

    private NodeCommands() {
    }

    abstract static class NodeAction extends ClientCommand {
        @Parameters(index = "0", paramLabel = "NODE", description = "The node.")
        String node;

        abstract String action();

        abstract String done();

        @Override
        void run() {
            JsonNode answer = client().send("POST", "/api/v1/nodes/" + node + "/" + action(), null);
            say("node/" + Formats.text(answer, "name") + " " + done());
        }
    }

    @Command(name = "cordon", description = "Give a node no new VMs (those it runs stay).")
    static final class Cordon extends NodeAction {
        @Override
        String action() {
            return "cordon";
        }

        @Override
        String done() {
            return "cordoned";
        }
    }

    @Command(name = "uncordon", description = "Let a cordoned node take new VMs again.")
    static final class Uncordon extends NodeAction {
        @Override
        String action() {
            return "uncordon";
        }

        @Override
        String done() {
            return "uncordoned";
        }
    }
}
