package dev.vireo.scheduler;

import dev.vireo.protocol.node.NodeAgentCommand;
import dev.vireo.protocol.node.NodeDelivery;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.slf4j.Logger;

/**
 * Where each node agent is. Commands for a node that has not registered (yet: after a restart the entities
 * recover before the agents report in) are held, a bounded number per node, and delivered on registration.
 * Every delivery is numbered ({@link NodeDelivery}), from the clock on, so that numbers grow across restarts.
 */
final class NodeMailboxes {

    static final int HELD_PER_NODE = 10_000;

    private final Map<String, ActorRef<NodeDelivery>> agents = new HashMap<>();
    private long sequence = System.currentTimeMillis() * 1000;
    private final Map<String, Deque<NodeAgentCommand>> held = new HashMap<>();
    private final Logger log;

    NodeMailboxes(Logger log) {
        this.log = log;
    }

    ActorRef<NodeDelivery> agent(String node) {
        return agents.get(node);
    }

    /** The number the next delivery gets: every command delivered so far is numbered below it. */
    long nextSequence() {
        return sequence + 1;
    }

    void register(String node, ActorRef<NodeDelivery> agent) {
        agents.put(node, agent);
        Deque<NodeAgentCommand> queue = held.remove(node);
        if (queue != null) {
            log.info("delivering {} held command(s) to node {}", queue.size(), node);
            queue.forEach(command -> send(agent, command));
        }
    }

    private void send(ActorRef<NodeDelivery> agent, NodeAgentCommand command) {
        sequence = Math.max(sequence + 1, System.currentTimeMillis() * 1000);
        agent.tell(new NodeDelivery(sequence, command));
    }

    java.util.Set<String> registered() {
        return java.util.Set.copyOf(agents.keySet());
    }

    void remove(String node) {
        agents.remove(node);
    }

    void deliver(NodeAgentCommand command) {
        ActorRef<NodeDelivery> agent = agents.get(command.node());
        if (agent != null) {
            send(agent, command);
            return;
        }
        Deque<NodeAgentCommand> queue = held.computeIfAbsent(command.node(), n -> new ArrayDeque<>());
        if (queue.size() >= HELD_PER_NODE) {
            log.warn("node {} unknown and {} commands already held: dropping {} for {} [request {}]", command.node(),
                    HELD_PER_NODE, command.getClass().getSimpleName(), command.vm(), command.requestId());
            return;
        }
        queue.add(command);
    }
}
