package dev.vireo;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** The options of a launcher that runs a control plane: its HTTP API, its data and its Kubernetes sync. */
final class ApiOptions {

    @Option(names = "--port", defaultValue = "8080", description = "HTTP API port (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--address", defaultValue = "127.0.0.1",
            description = "Address the HTTP API listens on (default ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--data", defaultValue = "./vireo-data",
            description = "Data directory: the journal (and the VMs' files of this machine's node) (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--cluster-address", defaultValue = "127.0.0.1",
            description = "Address other cluster members reach this one by (default ${DEFAULT-VALUE}).")
    String clusterAddress;

    @Option(names = "--kubeconfig", description = "Sync VMs with VirtualMachine resources of the Kubernetes cluster"
            + " this kubeconfig names (docs/kubernetes.md).")
    Path kubeconfig;

    /** The configuration these options set. */
    Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        if (kubeconfig != null) {
            config.put("vireo.kubernetes.kubeconfig", kubeconfig.toAbsolutePath().toString());
        }
        return config;
    }
}
