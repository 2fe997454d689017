package dev.vireo.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

@Command(name = "delete", description = "Stop and delete a VM (its history is kept: vireo history NAME still works),"
        + " or, as `delete snapshot NAME SNAP`, one of its snapshots.")
final class DeleteCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM (or `snapshot`, then the VM and the snapshot).")
    String name;

    @Parameters(index = "1..2", arity = "0..2", paramLabel = "VM SNAP", description = "With `snapshot`: the VM and its snapshot.")
    java.util.List<String> snapshotOf = java.util.List.of();

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        if (!snapshotOf.isEmpty()) {
            if (!name.equals("snapshot") || snapshotOf.size() != 2) {
                throw new CommandFailure(2, "give a VM's name, or `snapshot` and the VM and its snapshot:"
                        + " vireo delete snapshot web-1 s1");
            }
            client().send("DELETE", vmPath(snapshotOf.get(0)) + "/snapshots/" + snapshotOf.get(1), null);
            say("virtualmachine/" + snapshotOf.get(0) + " snapshot " + snapshotOf.get(1) + " deleted");
            return;
        }
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
