package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import dev.vireo.protocol.vm.VmId;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The serial console log of a VM, read by the node it runs on (the control plane reads no node's disk).
 * A reader asks for what follows {@code position} of the log it read so far ({@code fileKey}); a new boot
 * starts a new log file, and the answer then starts again at its beginning.
 */
public final class NodeConsole {

    private NodeConsole() {
    }

    /** At most {@code maxBytes} of the console log of {@code vm} after {@code position} of {@code fileKey}. */
    public record Read(VmId vm, String fileKey, long position, int maxBytes, ActorRef<Chunk> replyTo)
            implements CborSerializable {
    }

    /**
     * {@code exists}: the node has a console log of the VM; {@code bytes} are the next ones of the file
     * {@code fileKey}, starting at {@code position} (0 when the file is not the one asked about),
     * {@code size} is the file's length and {@code modifiedMillis} its last write.
     */
    public record Chunk(String node, boolean exists, String fileKey, long position, byte[] bytes, long size,
                        long modifiedMillis) implements CborSerializable {
    }
}
