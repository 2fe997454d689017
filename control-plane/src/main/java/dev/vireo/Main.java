package dev.vireo;

import dev.vireo.cli.VireoCli;
import picocli.CommandLine;

/**
 * The one runnable: {@code vireo up} runs a one-machine Vireo, {@code vireo control-plane} and {@code vireo node}
 * the parts of a cluster; every other command is a client of the API.
 */
public final class Main {

    private Main() {
    }

    /**
     * Pekko and Scala hand out CompletableFutures whose thenApply/thenCompose callbacks run on the common
     * fork-join pool. When that pool has fewer than 2 threads (any machine with fewer than 3 cores), the JDK
     * starts a new thread for every such callback instead: one per API request, and 10k at a recovery of 10k
     * VMs. Set before anything touches the pool; an explicit -D setting is kept.
     */
    static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    public static void main(String[] args) {
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM,
                    Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors() - 1)));
        }
        System.exit(commandLine().execute(args));
    }

    /** Every command of the one jar: the CLI's, and the launchers of the server's parts. */
    public static CommandLine commandLine() {
        CommandLine cli = VireoCli.commandLine();
        cli.addSubcommand("up", new UpCommand());
        cli.addSubcommand("control-plane", new ControlPlaneCommand());
        cli.addSubcommand("node", new NodeCommand());
        cli.addSubcommand("watchdog", new WatchdogCommand());
        return cli;
    }
}
