package dev.vireo.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;

/**
 * How a Vireo JVM becomes a cluster member: its roles ({@code control-plane}, {@code node}, or both in the
 * one-machine mode), the address other members reach it by, and the members it joins. Without seeds it starts
 * a cluster of its own; with seeds it joins theirs, retrying until one answers.
 */
public final class ClusterBoot {

    public static final String SYSTEM_NAME = "vireo";
    public static final String CONTROL_PLANE = "control-plane";
    public static final String NODE = "node";

    private ClusterBoot() {
    }

    /** The configuration that makes this JVM a member with {@code roles} at {@code host:port} (0: any free port). */
    public static Map<String, Object> member(List<String> roles, String host, int port) {
        Map<String, Object> config = new HashMap<>();
        config.put("pekko.cluster.roles", roles);
        config.put("pekko.remote.artery.canonical.hostname", host);
        config.put("pekko.remote.artery.canonical.port", port);
        return config;
    }

    /**
     * The configuration that runs the cluster's transport over TLS with mutual authentication, from a directory
     * of PEM files as cert-manager and Kubernetes Secrets lay them out: {@code tls.key} (RSA, PKCS#1 or unencrypted
     * PKCS#8), {@code tls.crt} (issued by the CA) and {@code ca.crt} (the cluster's root CA). A member connects
     * only to, and accepts connections only from, members with a certificate of that CA sharing a subject name
     * with its own (Pekko's RotatingKeysSSLEngineProvider; files re-read as they rotate).
     */
    public static Map<String, Object> tls(java.nio.file.Path dir) {
        Map<String, Object> config = new HashMap<>();
        for (String file : List.of("tls.key", "tls.crt", "ca.crt")) {
            if (!java.nio.file.Files.isReadable(dir.resolve(file))) {
                throw new IllegalArgumentException("--cluster-tls " + dir + ": no readable " + file + " (the directory holds"
                        + " tls.key, tls.crt and ca.crt, PEM)");
            }
        }
        String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
        config.put("pekko.remote.artery.transport", "tls-tcp");
        config.put("pekko.remote.artery.ssl.ssl-engine-provider",
                "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider");
        config.put(engine + "key-file", dir.resolve("tls.key").toAbsolutePath().toString());
        config.put(engine + "cert-file", dir.resolve("tls.crt").toAbsolutePath().toString());
        config.put(engine + "ca-cert-file", dir.resolve("ca.crt").toAbsolutePath().toString());
        return config;
    }

    /** Joins {@code seeds} ({@code host:port} each), or this member itself when there are none. */
    public static void join(ActorSystem<?> system, List<String> seeds) {
        com.typesafe.config.Config artery = system.settings().config().getConfig("pekko.remote.artery");
        if (artery.getString("transport").equals("tls-tcp")) {
            org.slf4j.LoggerFactory.getLogger(ClusterBoot.class).info("cluster transport: TLS with mutual"
                    + " authentication ({}), CA {}", artery.getString("ssl.ssl-engine-provider"),
                    artery.getString("ssl.rotating-keys-engine.ca-cert-file"));
        }
        Cluster cluster = Cluster.get(system);
        if (seeds.isEmpty()) {
            cluster.manager().tell(Join.create(cluster.selfMember().address()));
            return;
        }
        List<Address> addresses = new ArrayList<>();
        for (String seed : seeds) {
            addresses.add(seedAddress(seed));
        }
        cluster.manager().tell(new JoinSeedNodes(addresses));
    }

    /** {@code host:port} as a member address; a clear error for anything else. */
    public static Address seedAddress(String seed) {
        int colon = seed == null ? -1 : seed.lastIndexOf(':');
        if (colon <= 0 || colon == seed.length() - 1) {
            throw new IllegalArgumentException("--seed " + seed + " is not HOST:PORT (the --cluster-port of a control"
                    + " plane, e.g. 127.0.0.1:2551)");
        }
        int port;
        try {
            port = Integer.parseInt(seed.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--seed " + seed + ": the port is not a number");
        }
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("--seed " + seed + ": the port must be 1-65535");
        }
        return new Address("pekko", SYSTEM_NAME, seed.substring(0, colon), port);
    }
}
