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

    /** Joins {@code seeds} ({@code host:port} each), or this member itself when there are none. */
    public static void join(ActorSystem<?> system, List<String> seeds) {
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
