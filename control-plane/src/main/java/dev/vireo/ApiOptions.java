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

    @Option(names = "--tokens", paramLabel = "FILE", description = "Bearer tokens, Kubernetes' static token file"
            + " format (token,user,uid,\"group1,group2\"), re-read when it changes (default: <data>/tokens.csv,"
            + " made on the first start with a token for user admin, group vireo:admins).")
    Path tokens;

    @Option(names = "--tls-cert", paramLabel = "FILE",
            description = "Serve the API over TLS with this PEM certificate (chain, server first).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The PEM private key of --tls-cert (PKCS#8 or RSA).")
    Path tlsKey;

    @Option(names = "--insecure-http", description = "Serve plain HTTP on an --address that is not loopback"
            + " (tokens then cross the network in the clear).")
    boolean insecureHttp;

    @Option(names = "--join-token-file", paramLabel = "FILE", description = "The cluster's join token (a shared"
            + " secret): members without it cannot join (default: $VIREO_JOIN_TOKEN, else none needed).")
    Path joinTokenFile;

    @Option(names = "--cluster-tls", paramLabel = "DIR", description = "Run the cluster's transport over TLS with"
            + " mutual authentication: DIR holds tls.key, tls.crt and ca.crt (PEM); only members with a certificate"
            + " of that CA may connect (docs/security.md).")
    Path clusterTls;

    @Option(names = "--node-tokens", paramLabel = "FILE", description = "Node credentials, name,token a line:"
            + " every node must then prove its name with its token (vireo node --node-token-file), and only the"
            + " member that did may speak for that node (default: $VIREO_NODE_TOKENS, else no proof needed).")
    Path nodeTokens;

    @Option(names = "--token-review", description = "Also take bearer tokens the Kubernetes API server accepts"
            + " (TokenReview: service account tokens and the like), on the API of --kubeconfig or, in a pod, its"
            + " own; the token file is asked first.")
    boolean tokenReview;

    /** The configuration these options set. */
    Map<String, Object> config() {
        Map<String, Object> config = new HashMap<>();
        if (tokens != null) {
            config.put("vireo.auth.tokens", tokens.toAbsolutePath().toString());
        }
        if (tlsCert != null) {
            config.put("vireo.http.tls-cert", tlsCert.toAbsolutePath().toString());
        }
        if (tlsKey != null) {
            config.put("vireo.http.tls-key", tlsKey.toAbsolutePath().toString());
        }
        if (clusterTls != null) {
            config.putAll(dev.vireo.cluster.ClusterBoot.tls(clusterTls));
        }
        if (joinTokenFile != null) {
            try {
                config.put(dev.vireo.cluster.JoinToken.TOKEN, java.nio.file.Files.readString(joinTokenFile).strip());
            } catch (java.io.IOException e) {
                throw new IllegalArgumentException("--join-token-file " + joinTokenFile + ": " + e.getMessage(), e);
            }
        }
        if (tokenReview) {
            config.put("vireo.auth.token-review", "on");
        }
        if (nodeTokens != null) {
            config.put("vireo.cluster.node-tokens", nodeTokens.toAbsolutePath().toString());
        }
        if (insecureHttp) {
            config.put("vireo.http.insecure-http", "on");
        }
        if (kubeconfig != null) {
            config.put("vireo.kubernetes.kubeconfig", kubeconfig.toAbsolutePath().toString());
        }
        return config;
    }

    /**
     * Once started without {@code --tokens}: the admin token of {@code <data>/tokens.csv} goes into the CLI
     * config for this server, so that {@code vireo get vms} and the rest work with no extra step.
     */
    Vireo started(Vireo vireo) {
        if (tokens != null) {
            return vireo;
        }
        java.net.URI server = java.net.URI.create(vireo.scheme() + "://" + address + ":" + vireo.port());
        try {
            String token = dev.vireo.auth.BootstrapTokens.adminToken(
                    data.resolve(dev.vireo.auth.BootstrapTokens.FILE_NAME));
            if (token != null) {
                java.nio.file.Path file = dev.vireo.cli.CliConfig.remember(server, token, vireo.certificate());
                org.slf4j.LoggerFactory.getLogger(ApiOptions.class).info(
                        "the CLI config {} holds the admin token for {} (the vireo commands use it)", file, server);
            }
        } catch (java.io.IOException | RuntimeException e) {
            org.slf4j.LoggerFactory.getLogger(ApiOptions.class).warn("could not write the CLI config {}: {}; give"
                    + " the CLI --token or VIREO_TOKEN", dev.vireo.cli.CliConfig.location(), e.toString());
        }
        return vireo;
    }
}
