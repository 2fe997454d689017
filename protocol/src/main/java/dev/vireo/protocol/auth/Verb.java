package dev.vireo.protocol.auth;

/** What a request does, for authorization: every route names its verb and its namespace (or none: the cluster). */
public enum Verb {
    /** Read VMs, history, state, events, console output. */
    READ,
    /** Create, update, delete, act on VMs; snapshots, migrations, console input. */
    WRITE,
    /** Read and change the namespace's role bindings. */
    GRANT,
    /** Read the nodes and cluster-wide things (metrics). */
    READ_CLUSTER,
    /** Cordon, uncordon, drain; cluster role bindings. */
    WRITE_CLUSTER
}
