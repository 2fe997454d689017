package dev.vireo.protocol.node;

/** What a node finds a domain doing. */
public enum DomainState {
    Running, Paused, Stopped;

    /** The guest is there (running or paused), as opposed to shut off. */
    public boolean active() {
        return this != Stopped;
    }
}
