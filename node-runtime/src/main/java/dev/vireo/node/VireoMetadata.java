package dev.vireo.node;

import dev.vireo.protocol.vm.VmId;

/** What Vireo stamps into a domain's {@code <metadata>}: whose VM it is and which incarnation runs. */
public record VireoMetadata(VmId vm, String uid, long incarnation) {
}
