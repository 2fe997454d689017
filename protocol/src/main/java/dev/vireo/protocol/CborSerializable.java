package dev.vireo.protocol;

/**
 * Marker for every message and event that crosses a role boundary or is persisted:
 * bound to Pekko's jackson-cbor serializer, so one-machine mode and a cluster behave alike.
 */
public interface CborSerializable {
}
