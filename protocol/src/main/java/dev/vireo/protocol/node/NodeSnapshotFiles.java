package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.VmId;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * A node's snapshot files, read by another node: a VM restored on a node other than the one its snapshot was taken
 * on (it migrated since) fetches the snapshot's files from that node, piece by piece, over the cluster. Each node
 * serves only complete snapshots of its own VMs' directories, found under {@link #key(String)}.
 */
public final class NodeSnapshotFiles {

    private NodeSnapshotFiles() {
    }

    /** Where node {@code node} serves its snapshot files (the cluster's receptionist). */
    public static ServiceKey<Request> key(String node) {
        return ServiceKey.create(Request.class, "vireo-snapshot-files-" + node);
    }

    /** What a node's snapshot file server answers. */
    public sealed interface Request extends CborSerializable permits ListFiles, ReadFile {
    }

    /** The files of snapshot {@code snapshot} of {@code vm}. */
    public record ListFiles(VmId vm, String snapshot, ActorRef<Listing> replyTo) implements Request {
    }

    /** {@code exists}: the node holds the complete snapshot; {@code files}: its files, by name and size. */
    public record Listing(String node, boolean exists, List<FileEntry> files, String problem) implements CborSerializable {
    }

    public record FileEntry(String name, long size) {
    }

    /** At most {@code maxBytes} of a snapshot's file from {@code position}. */
    public record ReadFile(VmId vm, String snapshot, String file, long position, int maxBytes, ActorRef<Chunk> replyTo)
            implements Request {
    }

    /** {@code bytes} of the file from {@code position}; {@code exists} false when the node has no such file. */
    public record Chunk(String node, boolean exists, long position, byte[] bytes) implements CborSerializable {
    }
}
