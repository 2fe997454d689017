package dev.vireo;

import dev.vireo.cli.VireoCli;
import picocli.CommandLine;

/** The one runnable: {@code vireo up} runs Vireo, every other command is a client of its API. */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        CommandLine cli = VireoCli.commandLine();
        cli.addSubcommand("up", new UpCommand());
        int exit = cli.execute(args);
        if (args.length == 0 || !"up".equals(args[0]) || exit != 0) {
            System.exit(exit);
        }
        System.exit(0);
    }
}
