package dev.vireo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vireo control-plane}: the control plane alone (entities, scheduler, HTTP API), for nodes to join. */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Run a Vireo control plane (no node of its own) in the foreground; nodes join it with"
                + " vireo node --seed HOST:CLUSTER_PORT.")
final class ControlPlaneCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", description = "HTTP API port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--address", defaultValue = "127.0.0.1",
            description = "Address the HTTP API listens on (default ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--data", defaultValue = "./vireo-data",
            description = "Data directory: the journal (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--cluster-port", required = true,
            description = "Pekko cluster port: nodes give HOST:this port as their --seed.")
    int clusterPort;

    @Option(names = "--cluster-address", defaultValue = "127.0.0.1",
            description = "Address other members reach this one by (default ${DEFAULT-VALUE}).")
    String clusterAddress;

    @Option(names = "--seed", paramLabel = "HOST:PORT",
            description = "Another control plane to join (repeatable); none: this one starts the cluster.")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--kubeconfig", description = "Sync VMs with VirtualMachine resources of the Kubernetes cluster"
            + " this kubeconfig names (docs/kubernetes.md).")
    Path kubeconfig;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> config = new java.util.HashMap<>();
        if (kubeconfig != null) {
            config.put("vireo.kubernetes.kubeconfig", kubeconfig.toAbsolutePath().toString());
        }
        try {
            seeds.forEach(dev.vireo.cluster.ClusterBoot::seedAddress);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 64;
        }
        VireoSettings settings = new VireoSettings(address, port, data, null, null, clusterAddress, clusterPort, seeds,
                null, Map.of(), config);
        Vireo vireo;
        try {
            vireo = Vireo.start(settings);
        } catch (Exception e) {
            System.err.println("error: the control plane could not start: " + UpCommand.rootMessage(e));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            vireo.close();
            stopped.countDown();
        }, "vireo-shutdown"));
        stopped.await();
        return 0;
    }
}
