package dev.vireo.node;

import dev.vireo.protocol.node.NodeSnapshotFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/**
 * Serves this node's complete snapshots to the other nodes ({@link NodeSnapshotFiles}): a VM restored elsewhere
 * (it migrated since the snapshot) fetches the files from here. Only files of a snapshot directory are served, by
 * names a snapshot holds; reads run on the blocking dispatcher.
 */
final class SnapshotFileServer {

    /** The most one answer carries: well below Artery's frame size. */
    static final int MAX_CHUNK = 128 * 1024;
    /** The files a snapshot holds: disk copies, the memory state and the domain's XML. */
    static final Pattern FILE = Pattern.compile("disk-[a-z0-9]([-a-z0-9]*[a-z0-9])?\\.qcow2|memory\\.state|domain\\.xml");

    private SnapshotFileServer() {
    }

    static Behavior<NodeSnapshotFiles.Request> create(String node, Path dataDirectory) {
        return Behaviors.setup(context -> {
            context.getSystem().receptionist().tell(Receptionist.register(NodeSnapshotFiles.key(node), context.getSelf()));
            Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
            return Behaviors.receiveMessage(request -> {
                if (request instanceof NodeSnapshotFiles.ListFiles list) {
                    CompletableFuture.supplyAsync(() -> list(node, dataDirectory, list), blocking).whenComplete(
                            (answer, failure) -> list.replyTo().tell(answer != null ? answer
                                    : new NodeSnapshotFiles.Listing(node, false, List.of(), String.valueOf(failure))));
                } else if (request instanceof NodeSnapshotFiles.ReadFile read) {
                    CompletableFuture.supplyAsync(() -> read(node, dataDirectory, read), blocking).whenComplete(
                            (chunk, failure) -> read.replyTo().tell(chunk != null ? chunk
                                    : new NodeSnapshotFiles.Chunk(node, false, read.position(), new byte[0])));
                }
                return Behaviors.same();
            });
        });
    }

    static NodeSnapshotFiles.Listing list(String node, Path dataDirectory, NodeSnapshotFiles.ListFiles list) {
        SnapshotFiles snap;
        try {
            snap = new SnapshotFiles(VmFiles.of(dataDirectory, list.vm()), list.snapshot());
        } catch (IllegalArgumentException e) {
            return new NodeSnapshotFiles.Listing(node, false, List.of(), e.getMessage());
        }
        if (!snap.complete()) {
            return new NodeSnapshotFiles.Listing(node, false, List.of(), "node " + node + " holds no complete snapshot "
                    + list.snapshot() + " of " + list.vm());
        }
        List<NodeSnapshotFiles.FileEntry> files = new ArrayList<>();
        try (Stream<Path> all = Files.list(snap.directory())) {
            for (Path p : all.sorted().toList()) {
                if (FILE.matcher(p.getFileName().toString()).matches() && Files.isRegularFile(p)) {
                    files.add(new NodeSnapshotFiles.FileEntry(p.getFileName().toString(), Files.size(p)));
                }
            }
        } catch (IOException e) {
            return new NodeSnapshotFiles.Listing(node, false, List.of(), e.toString());
        }
        return new NodeSnapshotFiles.Listing(node, true, files, null);
    }

    static NodeSnapshotFiles.Chunk read(String node, Path dataDirectory, NodeSnapshotFiles.ReadFile read) {
        NodeSnapshotFiles.Chunk none = new NodeSnapshotFiles.Chunk(node, false, read.position(), new byte[0]);
        if (read.file() == null || !FILE.matcher(read.file()).matches() || read.position() < 0) {
            return none;
        }
        SnapshotFiles snap;
        try {
            snap = new SnapshotFiles(VmFiles.of(dataDirectory, read.vm()), read.snapshot());
        } catch (IllegalArgumentException e) {
            return none;
        }
        Path file = snap.directory().resolve(read.file());
        int want = Math.max(0, Math.min(read.maxBytes(), MAX_CHUNK));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(want, Math.max(0, channel.size() - read.position())));
            while (buffer.hasRemaining()) {
                if (channel.read(buffer, read.position() + buffer.position()) <= 0) {
                    break;
                }
            }
            return new NodeSnapshotFiles.Chunk(node, true, read.position(), Arrays.copyOf(buffer.array(),
                    buffer.position()));
        } catch (IOException e) {
            return none;
        }
    }
}
