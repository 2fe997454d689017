package dev.vireo.protocol.vm;

import java.time.Instant;

/** Who asked, under which request, and when: carried by every event so the log answers who/what/when/why. */
public record EventMeta(Instant timestamp, String requestId, String principal) {

    public static final String SYSTEM = "system:vireo";
    public static final String SCHEDULER = "system:scheduler";

    public static String node(String nodeName) {
        return "system:node:" + nodeName;
    }
}
