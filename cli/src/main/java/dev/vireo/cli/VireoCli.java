package dev.vireo.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The {@code vireo} command. Every client subcommand talks to the HTTP API; the server's own
 * {@code up} is added by the module that has the server: {@code commandLine().addSubcommand("up", ...)}.
 */
@Command(name = "vireo", mixinStandardHelpOptions = true, scope = CommandLine.ScopeType.INHERIT, version = "vireo 0.1.0-SNAPSHOT",
        description = "Run virtual machines as declarative resources.",
        subcommands = {
                ApplyCommand.class,
                GetCommand.class,
                DeleteCommand.class,
                LifecycleCommands.Start.class,
                LifecycleCommands.Stop.class,
                LifecycleCommands.Restart.class,
                LifecycleCommands.Pause.class,
                LifecycleCommands.Unpause.class,
                MigrateCommand.class,
                SnapshotCommand.class,
                RestoreCommand.class,
                SnapshotsCommand.class,
                HistoryCommand.class,
                StateCommand.class,
                EventsCommand.class,
                ConsoleCommand.class,
                NodeCommands.Cordon.class,
                NodeCommands.Uncordon.class,
                DrainCommand.class,
                CommandLine.HelpCommand.class})
public final class VireoCli implements Runnable {
    /** Exit code of a command line picocli could not parse (sysexits' EX_USAGE), so 2 stays "unreachable". */
    public static final int USAGE = 64;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed, e.g. vireo get vms");
    }

    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new VireoCli());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler(VireoCli::handleFailure);
        cli.setParameterExceptionHandler(VireoCli::handleUsageError);
        return cli;
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** One line on stderr, never a stack trace (unless VIREO_DEBUG is set). */
    private static int handleFailure(Exception e, CommandLine failed, CommandLine.ParseResult parsed) {
        PrintWriter err = failed.getErr();
        if (System.getenv("VIREO_DEBUG") != null) {
            e.printStackTrace(err);
        }
        if (e instanceof CommandFailure failure) {
            err.println(failure.render());
            err.flush();
            return failure.exitCode();
        }
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        err.println("error: " + what + " (set VIREO_DEBUG=1 to see where)");
        err.flush();
        return CommandFailure.REJECTED;
    }

    /** A short complaint and where to read more, instead of the whole usage text. */
    private static int handleUsageError(CommandLine.ParameterException e, String[] args) {
        CommandLine failed = e.getCommandLine();
        PrintWriter err = failed.getErr();
        err.println("error: " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        err.println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' for usage.");
        err.flush();
        return USAGE;
    }
}
