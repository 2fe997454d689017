package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * An action on one VM ({@code POST .../{name}/{action}}), optionally followed until the VM
 * reaches the phase the action leads to.
 */
abstract class LifecycleCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Mixin
    WaitOptions waiting;

    /** The path segment after the VM's path, with any query. */
    abstract String action();

    /** What the user reads once the request is accepted, e.g. "stopping". */
    abstract String accepted();

    abstract Goal goal();

    JsonNode body() {
        return null;
    }

    @Override
    void run() {
        PhaseWatch watch = waiting.wait ? PhaseWatch.open(client(), namespace(), name, out()) : null;
        try {
            client().send("POST", vmPath(name) + "/" + action(), body());
            say("virtualmachine/" + name + " " + accepted());
            if (watch != null) {
                watch.await(goal(), waiting.timeout);
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }
}
