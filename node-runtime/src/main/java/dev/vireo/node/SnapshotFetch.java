package dev.vireo.node;

import dev.vireo.protocol.node.NodeSnapshotFiles;
import dev.vireo.protocol.vm.VmId;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a snapshot's files from the node that holds them to this one, over the cluster ({@link NodeSnapshotFiles}):
 * written as {@code <snap>.part/}, renamed when whole, like a snapshot taken here. Blocking: runs on the agent's
 * libvirt pool.
 */
interface SnapshotFetch {

    /**
     * Fetches snapshot {@code snapshot} of {@code vm} from node {@code from} into {@code into} for the restore asked by
     * {@code requestId}; returns its bytes.
     */
    long fetch(String from, VmId vm, String snapshot, SnapshotFiles into, String requestId) throws IOException;

    /** Where no other node can be reached (an agent tested on its own). */
    SnapshotFetch NONE = (from, vm, snapshot, into, requestId) -> {
        throw new IOException("this node cannot reach node " + from + ", which holds snapshot " + snapshot + " of " + vm);
    };

    /** Over the cluster of {@code system}: the holding node's server is found through the receptionist. */
    static SnapshotFetch over(ActorSystem<?> system) {
        return new OverCluster(system);
    }

    final class OverCluster implements SnapshotFetch {
        private static final Logger log = LoggerFactory.getLogger(SnapshotFetch.class);
        private static final Duration ASK = Duration.ofSeconds(20);
        private static final Duration FIND = Duration.ofSeconds(15);

        private final ActorSystem<?> system;

        OverCluster(ActorSystem<?> system) {
            this.system = system;
        }

        @Override
        public long fetch(String from, VmId vm, String snapshot, SnapshotFiles into, String requestId)
                throws IOException {
            long began = System.nanoTime();
            ActorRef<NodeSnapshotFiles.Request> server = find(from);
            NodeSnapshotFiles.Listing listing = ask(server, r -> new NodeSnapshotFiles.ListFiles(vm, snapshot, r));
            if (!listing.exists()) {
                throw new IOException("node " + from + " cannot give snapshot " + snapshot + " of " + vm + ": "
                        + listing.problem());
            }
            Path part = into.partial();
            SnapshotFiles.deleteTree(part);
            Files.createDirectories(part);
            long total = 0;
            try {
                for (NodeSnapshotFiles.FileEntry file : listing.files()) {
                    if (!SnapshotFileServer.FILE.matcher(file.name()).matches()) {
                        throw new IOException("node " + from + " lists a file " + file.name() + " no snapshot holds");
                    }
                    total += copy(server, vm, snapshot, file, part.resolve(file.name()));
                }
                SnapshotFiles.deleteTree(into.directory());
                Files.move(part, into.directory(), StandardCopyOption.ATOMIC_MOVE);
            } finally {
                SnapshotFiles.deleteTree(part);
            }
            log.info("snapshot {} of {} (request {}) fetched from node {}: {} files, {} bytes in {} ms", snapshot, vm,
                    requestId, from, listing.files().size(), total, (System.nanoTime() - began) / 1_000_000);
            return total;
        }

        private long copy(ActorRef<NodeSnapshotFiles.Request> server, VmId vm, String snapshot,
                          NodeSnapshotFiles.FileEntry file, Path to) throws IOException {
            long position = 0;
            try (OutputStream out = Files.newOutputStream(to)) {
                while (position < file.size()) {
                    long at = position;
                    NodeSnapshotFiles.Chunk chunk = ask(server, r -> new NodeSnapshotFiles.ReadFile(vm, snapshot,
                            file.name(), at, SnapshotFileServer.MAX_CHUNK, r));
                    if (!chunk.exists() || chunk.position() != at || chunk.bytes().length == 0) {
                        throw new IOException("file " + file.name() + " of snapshot " + snapshot + " ended at " + at
                                + " of " + file.size() + " bytes on node " + chunk.node());
                    }
                    out.write(chunk.bytes());
                    position += chunk.bytes().length;
                }
            }
            return position;
        }

        private ActorRef<NodeSnapshotFiles.Request> find(String node) throws IOException {
            long deadline = System.nanoTime() + FIND.toNanos();
            while (true) {
                Receptionist.Listing listing = ask(system.receptionist(),
                        r -> Receptionist.find(NodeSnapshotFiles.key(node), r));
                Set<ActorRef<NodeSnapshotFiles.Request>> found = listing.getServiceInstances(NodeSnapshotFiles.key(node));
                if (!found.isEmpty()) {
                    return found.iterator().next();
                }
                if (System.nanoTime() > deadline) {
                    throw new IOException("node " + node + ", which holds the snapshot, is not in the cluster (no"
                            + " snapshot file server of it found in " + FIND.toSeconds() + " s); start it again, or"
                            + " delete the snapshot");
                }
                sleep();
            }
        }

        private <Q, A> A ask(ActorRef<Q> to, java.util.function.Function<ActorRef<A>, Q> message) throws IOException {
            try {
                return AskPattern.ask(to, message::apply, ASK, system.scheduler()).toCompletableFuture().get();
            } catch (ExecutionException e) {
                throw new IOException("no answer from " + to.path() + " in " + ASK.toSeconds() + " s: " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching a snapshot");
            }
        }

        private static void sleep() throws IOException {
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while fetching a snapshot");
            }
        }
    }
}
