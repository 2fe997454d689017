package dev.vireo.node;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * One queue of work per domain name, so that the operations on one VM happen in the order they were
 * asked for while different VMs proceed independently. The head of a lane is the job in progress.
 * Used only from the actor's thread.
 */
final class DomainLanes<J> {

    private final Map<String, ArrayDeque<J>> lanes = new HashMap<>();

    /** @return true when the lane was idle, so the caller must start this job now */
    boolean enqueue(String domainName, J job) {
        ArrayDeque<J> lane = lanes.computeIfAbsent(domainName, n -> new ArrayDeque<>());
        lane.addLast(job);
        return lane.size() == 1;
    }

    /** Finishes the job in progress and returns the next one to start, if any. */
    Optional<J> finish(String domainName) {
        ArrayDeque<J> lane = lanes.get(domainName);
        if (lane == null) {
            return Optional.empty();
        }
        lane.pollFirst();
        if (lane.isEmpty()) {
            lanes.remove(domainName);
            return Optional.empty();
        }
        return Optional.of(lane.peekFirst());
    }

    int pending(String domainName) {
        ArrayDeque<J> lane = lanes.get(domainName);
        return lane == null ? 0 : lane.size();
    }
}
