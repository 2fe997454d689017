package dev.vireo.protocol.vm;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A VM's identity: namespace and name. Also the sharding entity id ("namespace/name"). */
public record VmId(String namespace, String name) implements Comparable<VmId> {

    public static final String PERSISTENCE_PREFIX = "VirtualMachine|";

    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static VmId parse(String entityId) {
        int slash = entityId.indexOf('/');
        if (slash <= 0 || slash == entityId.length() - 1) {
            throw new IllegalArgumentException("not a VM id (namespace/name): " + entityId);
        }
        return new VmId(entityId.substring(0, slash), entityId.substring(slash + 1));
    }

    /** The persistence id of this VM's event log. */
    public static VmId fromPersistenceId(String persistenceId) {
        return parse(persistenceId.substring(PERSISTENCE_PREFIX.length()));
    }

    @JsonValue
    public String entityId() {
        return namespace + "/" + name;
    }

    public String persistenceId() {
        return PERSISTENCE_PREFIX + entityId();
    }

    /** The libvirt domain name: {@code <namespace>_<name>} (DNS-1123 labels hold no underscore). */
    public String domainName() {
        return namespace + "_" + name;
    }

    @Override
    public String toString() {
        return entityId();
    }

    @Override
    public int compareTo(VmId o) {
        return entityId().compareTo(o.entityId());
    }
}
