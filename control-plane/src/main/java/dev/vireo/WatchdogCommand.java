package dev.vireo;

import dev.vireo.node.NodeFiles;
import dev.vireo.node.Watchdog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code vireo watchdog}: the node's watchdog in the foreground, for a node runtime started with
 * {@code --watchdog external} (in Kubernetes, a container of its own beside the node's, so that it outlives
 * a crash of the node's container). SIGTERM makes it pause the node's domains before it ends: whoever stops it
 * for good leaves nothing running unguarded.
 */
@Command(name = "watchdog", mixinStandardHelpOptions = true,
        description = "Guard a node's domains: pause them when the lease its node runtime keeps in DATA/node/lease"
                + " expires (see docs/cluster.md).")
final class WatchdogCommand implements Callable<Integer> {

    @Option(names = "--data", defaultValue = "./vireo-data", description = "The node runtime's --data (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--hypervisor", required = true, description = "The node runtime's libvirt URI.")
    String hypervisor;

    @Option(names = "--interval", defaultValue = "250ms", description = "How often it looks at the lease (default ${DEFAULT-VALUE}).")
    String interval;

    @Override
    public Integer call() throws Exception {
        Duration every;
        try {
            every = com.typesafe.config.ConfigFactory.parseString("every = \"" + interval + "\"").getDuration("every");
        } catch (RuntimeException e) {
            System.err.println("error: --interval " + interval + " is not a duration such as 250ms or 1s");
            return 64;
        }
        Process watchdog = Watchdog.startInForeground(new NodeFiles(data.toAbsolutePath().normalize()), hypervisor,
                every);
        // SIGTERM: the watchdog fences, then ends; wait for it, or a container would kill it half-way
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            watchdog.toHandle().destroy();
            try {
                watchdog.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "vireo-watchdog-stop"));
        return watchdog.waitFor();
    }
}
