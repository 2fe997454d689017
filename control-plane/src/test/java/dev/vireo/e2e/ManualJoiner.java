package dev.vireo.e2e;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import dev.vireo.cluster.ClusterBoot;
import dev.vireo.cluster.JoinToken;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/**
 * An intruder for {@link JoinTokenTest}, run as a process of its own: a member that joins the seed with
 * {@code Cluster.join} (which skips the seed nodes' join check) and carries a join digest it copied (the
 * second argument), but does not know the token. Prints its status as it changes, and {@code terminated} when its actor system ends.
 */
public final class ManualJoiner {

    public static void main(String[] args) throws Exception {
        String seed = args[0];
        Map<String, Object> overrides = new HashMap<>(ClusterBoot.member(List.of(ClusterBoot.NODE), "127.0.0.1", 0));
        overrides.put(JoinToken.DIGEST, args[1]);
        Config config = ConfigFactory.load(ConfigFactory.parseMap(overrides).withFallback(ConfigFactory.defaultApplication()));
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), ClusterBoot.SYSTEM_NAME, config);
        Cluster cluster = Cluster.get(system);
        cluster.manager().tell(Join.create(ClusterBoot.seedAddress(seed)));
        String last = "";
        while (!system.whenTerminated().isCompleted()) {
            String status = cluster.selfMember().status().toString();
            if (!status.equals(last)) {
                System.out.println("member status " + status);
                last = status;
            }
            Thread.sleep(200);
        }
        System.out.println("terminated");
        System.exit(0);
    }
}
