package dev.vireo.protocol.node;

/** What a node agent was doing when it reports a failure: one of its commands, or its own follow-up work. */
public enum NodeAction {
    StartDomain, StopDomain, PauseDomain, ResumeDomain, EnsureDomain, RemoveDomain, DeleteVmFiles, PrepareMigration,
    MigrateDomain, CancelMigration, TakeSnapshot, RestoreSnapshot, DeleteSnapshot,
    /** The agent's own removal of a domain whose guest shut itself down. */
    UndefineAfterShutdown
}
