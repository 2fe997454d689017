package dev.vireo.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Stop and delete a VM. Its history is kept: vireo history NAME still works.")
final class DeleteCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        PhaseWatch watch = waiting.wait ? PhaseWatch.open(client(), namespace(), name, out()) : null;
        try {
            client().send("DELETE", vmPath(name), null);
            say("virtualmachine/" + name + " deleted");
            if (watch != null) {
                watch.await(Goal.gone(), waiting.timeout);
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }
}
