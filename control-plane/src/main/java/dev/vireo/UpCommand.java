package dev.vireo;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vireo up}: a whole single-machine Vireo in the foreground, until SIGTERM or Ctrl-C. */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start Vireo on this machine (control plane and one node) in the foreground; more nodes may"
                + " join it with vireo node --seed 127.0.0.1:CLUSTER_PORT.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--port", defaultValue = "8080", description = "HTTP API port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--address", defaultValue = "127.0.0.1",
            description = "Address the HTTP API listens on (default ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--data", defaultValue = "./vireo-data",
            description = "Data directory: the journal and per-VM files (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--hypervisor", description = "libvirt URI; default qemu:///system when a libvirt daemon"
            + " answers, else test:///default.")
    String hypervisor;

    @Option(names = "--images", description = "Where base images and kernels may come from (default <data>/images).")
    Path images;

    @Option(names = "--cluster-port", defaultValue = "0",
            description = "Pekko cluster port, for extra nodes to join (default: any free port).")
    int clusterPort;

    @Option(names = "--cluster-address", defaultValue = "127.0.0.1",
            description = "Address other members reach this one by (default ${DEFAULT-VALUE}).")
    String clusterAddress;

    @Option(names = "--node-name", defaultValue = "local", description = "Name of this machine's node (default ${DEFAULT-VALUE}).")
    String nodeName;

    @Option(names = "--node-cpus", description = "vCPUs this node offers (default: what libvirt reports).")
    Integer nodeCpus;

    @Option(names = "--node-memory", description = "Memory this node offers, e.g. 64Gi (default: what libvirt reports).")
    String nodeMemory;

    @Option(names = "--kubeconfig", description = "Sync VMs with VirtualMachine resources of the Kubernetes cluster"
            + " this kubeconfig names (docs/kubernetes.md).")
    Path kubeconfig;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> config = new java.util.HashMap<>();
        if (kubeconfig != null) {
            config.put("vireo.kubernetes.kubeconfig", kubeconfig.toAbsolutePath().toString());
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
        VireoSettings settings = new VireoSettings(address, port, data, hypervisor, images, clusterAddress, clusterPort,
                java.util.List.of(), nodeName, Map.of(), config);
        Vireo vireo;
        try {
            vireo = Vireo.start(settings);
        } catch (Exception e) {
            System.err.println("error: Vireo could not start: " + rootMessage(e));
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

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
