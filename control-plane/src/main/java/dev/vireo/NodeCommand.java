package dev.vireo;

import dev.vireo.protocol.vm.Quantity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code vireo node}: one node runtime, joining a control plane. */
@Command(name = "node", mixinStandardHelpOptions = true,
        description = "Run a Vireo node runtime (a node agent over this host's libvirt) in the foreground, joined to"
                + " the control plane at --seed.")
final class NodeCommand implements Callable<Integer> {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern LABEL_KEY = Pattern.compile("([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?");
    private static final Pattern LABEL_VALUE = Pattern.compile("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?");

    @Option(names = "--name", required = true, description = "The node's name (a DNS-1123 label), unique in the cluster.")
    String name;

    @Option(names = "--hypervisor", description = "libvirt URI; default qemu:///system when a libvirt daemon"
            + " answers, else test:///default.")
    String hypervisor;

    @Option(names = "--cluster-port", defaultValue = "0", description = "Pekko cluster port of this node runtime"
            + " (default: any free port, so that a node runtime that restarts rejoins at once as a new member; at a"
            + " fixed port it waits until the cluster removed its previous self, see docs/cluster.md).")
    int clusterPort;

    @Option(names = "--cluster-address", defaultValue = "127.0.0.1",
            description = "Address other members reach this one by (default ${DEFAULT-VALUE}).")
    String clusterAddress;

    @Option(names = "--seed", paramLabel = "HOST:PORT", required = true,
            description = "A control plane's --cluster-port to join (repeatable).")
    List<String> seeds = new ArrayList<>();

    @Option(names = "--data", defaultValue = "./vireo-data",
            description = "Data directory: the VMs' overlays and console logs, the lease file (default ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--images", description = "The only directory kernels, initrds and disk images may come from"
            + " (default <data>/images); the node reports what it holds there.")
    Path images;

    @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label the node registers with (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--cpus", description = "vCPUs this node offers (default: what libvirt reports).")
    Integer cpus;

    @Option(names = "--memory", description = "Memory this node offers, e.g. 8Gi (default: what libvirt reports).")
    String memory;

    @Option(names = "--advertise-uri", description = "The libvirt URI other nodes reach this node's daemon by"
            + " (default: --hypervisor).")
    String advertiseUri;

    @Option(names = "--migration-address", paramLabel = "HOST", description = "The address (IPv4 or host name of"
            + " this host) incoming live migrations listen on: one the other nodes reach (default: 127.0.0.1, every node"
            + " on one host; or the JVM property vireo.migration.address).")
    String migrationAddress;

    @Option(names = "--port", defaultValue = "-1",
            description = "Port for /healthz and /readyz (default: none).")
    int port;

    @Option(names = "--address", defaultValue = "127.0.0.1",
            description = "Address /healthz and /readyz listen on (default ${DEFAULT-VALUE}).")
    String address;

    @Option(names = "--watchdog", paramLabel = "on|off|external", description = "on: start the watchdog process that"
            + " pauses this node's domains when its lease expires (default, except on the test driver); external:"
            + " another process runs it (vireo watchdog, e.g. a container of its own); off: none.")
    String watchdog;

    @Option(names = "--join-token-file", paramLabel = "FILE", description = "The cluster's join token (a shared"
            + " secret, the control plane's): without the right one a node cannot join (default: $VIREO_JOIN_TOKEN).")
    Path joinTokenFile;

    @Option(names = "--node-token-file", paramLabel = "FILE", description = "This node's own token, the one its"
            + " --name has in the control plane's --node-tokens file: it proves which node this is"
            + " (default: $VIREO_NODE_TOKEN).")
    Path nodeTokenFile;

    @Option(names = "--cluster-tls", paramLabel = "DIR", description = "The cluster's transport over TLS with mutual"
            + " authentication, as the control plane's: DIR holds this node's tls.key and tls.crt and the cluster's"
            + " ca.crt (PEM).")
    Path clusterTls;

    @Override
    public Integer call() throws Exception {
        String problem = problem();
        Map<String, Object> secrets = null;
        if (problem == null) {
            try {
                secrets = secrets();
            } catch (java.io.IOException | IllegalArgumentException e) {
                problem = e.getMessage();
            }
        }
        if (problem != null) {
            System.err.println("error: " + problem);
            return 64;
        }
        Map<String, String> labelMap = new LinkedHashMap<>();
        for (String label : labels) {
            int eq = label.indexOf('=');
            labelMap.put(label.substring(0, eq), label.substring(eq + 1));
        }
        NodeRuntime.Settings settings = new NodeRuntime.Settings(name, hypervisor, clusterAddress, clusterPort, seeds,
                data.toAbsolutePath().normalize(), (images != null ? images : data.resolve("images")).toAbsolutePath()
                .normalize(), labelMap, cpus, memory == null ? null : Quantity.parseBytes(memory), advertiseUri,
                address, port, watchdog == null ? null
                : dev.vireo.cluster.NodeRuntimeActors.Watchdog.valueOf(watchdog.toUpperCase()),
                secrets, migrationAddress);
        return Foreground.run("node " + name, () -> NodeRuntime.start(settings));
    }

    /** The join token and the node's own token, as configuration. */
    private Map<String, Object> secrets() throws java.io.IOException {
        Map<String, Object> config = new java.util.HashMap<>();
        if (joinTokenFile != null) {
            config.put(dev.vireo.cluster.JoinToken.TOKEN, read("--join-token-file", joinTokenFile));
        }
        if (clusterTls != null) {
            config.putAll(dev.vireo.cluster.ClusterBoot.tls(clusterTls));
        }
        if (nodeTokenFile != null) {
            config.put("vireo.cluster.node-token", read("--node-token-file", nodeTokenFile));
        }
        return config;
    }

    private static String read(String flag, Path file) throws java.io.IOException {
        try {
            return java.nio.file.Files.readString(file).strip();
        } catch (java.io.IOException e) {
            throw new java.io.IOException(flag + " " + file + ": cannot be read (" + e.getMessage() + ")", e);
        }
    }

    /** What is wrong with the flags, in a sentence; null when nothing is. */
    private String problem() {
        if (!NAME.matcher(name).matches()) {
            return "--name " + name + " must be a DNS-1123 label: lower-case letters, digits and '-', at most 63";
        }
        if (clusterPort < 0 || clusterPort > 65535) {
            return "--cluster-port must be 0-65535";
        }
        for (String seed : seeds) {
            try {
                dev.vireo.cluster.ClusterBoot.seedAddress(seed);
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (eq <= 0 || !LABEL_KEY.matcher(label.substring(0, eq)).matches()
                    || !LABEL_VALUE.matcher(label.substring(eq + 1)).matches()) {
                return "--label " + label + " is not KEY=VALUE with a Kubernetes label key and value";
            }
        }
        if (cpus != null && cpus <= 0) {
            return "--cpus must be at least 1";
        }
        if (memory != null) {
            try {
                if (Quantity.parseBytes(memory) <= 0) {
                    return "--memory must be more than 0";
                }
            } catch (IllegalArgumentException e) {
                return "--memory: " + e.getMessage();
            }
        }
        if (migrationAddress != null) {
            String why = MigrationAddress.problem(migrationAddress);
            if (why != null) {
                return "--migration-address " + migrationAddress + " " + why;
            }
        }
        if (watchdog != null && !List.of("on", "off", "external").contains(watchdog)) {
            return "--watchdog is on, off or external, not " + watchdog;
        }
        return null;
    }
}
