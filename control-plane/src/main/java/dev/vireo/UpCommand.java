package dev.vireo;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code vireo up}: a whole single-machine Vireo in the foreground, until SIGTERM or Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Vireo on this machine (control plane and one node) in the foreground; more nodes may"
                + " join it with vireo node --seed 127.0.0.1:CLUSTER_PORT.")
final class UpCommand implements Callable<Integer> {

    @Mixin
    ApiOptions api;

    @Option(names = "--hypervisor", description = "libvirt URI; default qemu:///system when a libvirt daemon"
            + " answers, else test:///default.")
    String hypervisor;

    @Option(names = "--images", description = "Where base images and kernels may come from (default <data>/images).")
    Path images;

    @Option(names = "--cluster-port", defaultValue = "0",
            description = "Pekko cluster port, for extra nodes to join (default: any free port).")
    int clusterPort;

    @Option(names = "--node-name", defaultValue = "local", description = "Name of this machine's node (default ${DEFAULT-VALUE}).")
    String nodeName;

    @Option(names = "--node-cpus", description = "vCPUs this node offers (default: what libvirt reports).")
    Integer nodeCpus;

    @Option(names = "--node-memory", description = "Memory this node offers, e.g. 64Gi (default: what libvirt reports).")
    String nodeMemory;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> config;
        try {
            config = api.config();
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            return 64;
        }
        if (nodeCpus != null) {
            config.put("vireo.node.cpus", nodeCpus.toString());
        }
        if (nodeMemory != null) {
            try {
                dev.vireo.protocol.vm.Quantity.parseBytes(nodeMemory);
            } catch (IllegalArgumentException e) {
                System.err.println("error: --node-memory: " + e.getMessage());
                return 64;
            }
            config.put("vireo.node.memory", nodeMemory);
        }
        VireoSettings settings = new VireoSettings(api.address, api.port, api.data, hypervisor, images,
                api.clusterAddress, clusterPort, java.util.List.of(), nodeName, Map.of(), config);
        return Foreground.run("Vireo", () -> api.started(Vireo.start(settings)));
    }
}
