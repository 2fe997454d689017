package dev.vireo.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** start, stop, restart, pause, unpause: each one line of difference. */
final class LifecycleCommands {
    private LifecycleCommands() {
    }

    @Command(name = "start", description = "Start a VM (on runStrategy Halted this switches it to Always).")
    static final class Start extends LifecycleCommand {
        String action() { return "start"; }
        String accepted() { return "starting"; }
        Goal goal() { return Goal.phase("Running"); }
    }

    @Command(name = "stop", description = "Stop a VM gracefully (on runStrategy Always this switches it to Halted).")
    static final class Stop extends LifecycleCommand {
        @Option(names = "--force", description = "Hard stop: pull the plug without waiting for the guest.")
        boolean force;

        String action() { return force ? "stop?force=true" : "stop"; }
        String accepted() { return force ? "stopping (forced)" : "stopping"; }
        Goal goal() { return Goal.phase("Stopped"); }
    }

    @Command(name = "restart", description = "Restart a VM.")
    static final class Restart extends LifecycleCommand {
        String action() { return "restart"; }
        String accepted() { return "restarting"; }
        Goal goal() { return Goal.restarted(); }
    }

    @Command(name = "pause", description = "Pause a running VM (its memory stays).")
    static final class Pause extends LifecycleCommand {
        String action() { return "pause"; }
        String accepted() { return "pausing"; }
        Goal goal() { return Goal.phase("Paused"); }
    }

    @Command(name = "unpause", description = "Resume a paused VM.")
    static final class Unpause extends LifecycleCommand {
        String action() { return "unpause"; }
        String accepted() { return "unpausing"; }
        Goal goal() { return Goal.phase("Running"); }
    }
}
