package dev.vireo.protocol.vm;

/** KubeVirt's runStrategy: when the VM should be running. */
public enum RunStrategy {
    /** Restart after any stop or crash. */
    Always,
    /** Restart only after a failure. */
    RerunOnFailure,
    /** Run once, never restart. */
    Once,
    /** Only explicit start and stop. */
    Manual,
    /** Keep stopped. */
    Halted
}
