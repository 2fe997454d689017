package dev.vireo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vireo control-plane}: the control plane alone (entities, scheduler, HTTP API), for nodes to join. */
@Command(name = "control-plane", mixinStandardHelpOptions = true,
        description = "Run a Vireo control plane (no node of its own) in the foreground; nodes join it with"
                + " vireo node --seed HOST:CLUSTER_PORT.")
final class ControlPlaneCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Option(names = "--cluster-port", required = true,
            description = "Pekko cluster port: nodes give HOST:this port as their --seed.")
    int clusterPort;

    @Option(names = "--seed", paramLabel = "HOST:PORT",
            description = "Another control plane to join (repeatable); none: this one starts the cluster.")
    List<String> seeds = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Map<String, Object> config;
        try {
            seeds.forEach(dev.vireo.cluster.ClusterBoot::seedAddress);
            config = api.config();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 64;
        }
        VireoSettings settings = new VireoSettings(api.address, api.port, api.data, null, null, api.clusterAddress,
                clusterPort, seeds, null, Map.of(), config);
        return Foreground.run("the control plane", () -> api.started(Vireo.start(settings)));
    }
}
