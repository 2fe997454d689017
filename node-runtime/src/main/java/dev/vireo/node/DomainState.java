package dev.vireo.node;

import org.libvirt.DomainInfo;

/** A domain's state in the words of {@code NodeReport.DomainFound}. */
enum DomainState {
    Running, Paused, Stopped;

    static DomainState of(DomainInfo.DomainState libvirt) {
        return switch (libvirt) {
            // SHUTDOWN means "being shut down": the guest still runs until it reaches SHUTOFF.
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_SHUTDOWN -> Running;
            case VIR_DOMAIN_PAUSED -> Paused;
            case VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_CRASHED, VIR_DOMAIN_NOSTATE -> Stopped;
        };
    }

    boolean active() {
        return this != Stopped;
    }
}
