package dev.vireo.api;

import dev.vireo.node.ConsoleReader;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.api.Limits;
import dev.vireo.protocol.node.NodeConsole;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import dev.vireo.scheduler.NodeView;
import dev.vireo.scheduler.Scheduler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.japi.Pair;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code GET …/virtualmachines/{name}/console}: the VM's serial console log as plain text, from the start
 * of its current boot, then followed ({@code ?follow=false} ends at what is there). The log lives on the node
 * that runs (or last ran) the VM; the control plane reads it through that node's runtime over the cluster
 * ({@link NodeConsole}), never from a disk of its own, so any control-plane member serves any VM's console.
 * A follower notices when the VM boots again, here or on another node, and continues with the new boot.
 * Read-only: the interactive WebSocket console is not there yet.
 */
final class ConsoleRoute extends AllDirectives {

    private static final Duration POLL = Duration.ofMillis(200);
    /** A follower looks up which node runs the VM every this many polls. */
    private static final int RELOCATE_EVERY = 10;

    private final ActorSystem<?> system;
    private final VirtualMachines vms;
    private final StatusRoutes status;
    private final Duration timeout;

    ConsoleRoute(ActorSystem<?> system, VirtualMachines vms, StatusRoutes status, Duration timeout) {
        this.system = system;
        this.vms = vms;
        this.status = status;
        this.timeout = timeout;
    }

    Route route(VmId id) {
        return path("console", () -> get(() -> parameterOptional("follow", follow -> {
            boolean following = follow.map(ConsoleRoute::flag).orElse(true);
            return completeWithFuture(vms.get(id).thenCompose(state -> console(state, following)));
        })));
    }

    /** Where a VM's console is: the node and its reader, and the file as far as it has been read. */
    private static final class Position {
        String node;
        ActorRef<NodeConsole.Read> reader;
        String fileKey;
        long position;
        long endAtStart = -1;
        int polls;
        boolean done;

        Position(String node, ActorRef<NodeConsole.Read> reader) {
            this.node = node;
            this.reader = reader;
        }
    }

    private CompletionStage<HttpResponse> console(VmState state, boolean follow) {
        if (!state.exists()) {
            return CompletableFuture.completedFuture(ApiResponses.rejected(Rejection.notFound(state.id())));
        }
        return status.nodeList().thenCompose(list -> locate(state, list)).thenApply(found -> {
            if (found instanceof HttpResponse refusal) {
                return refusal;
            }
            Position at = (Position) found;
            Source<ByteString, ?> bytes = Source.unfoldAsync(at, p -> next(state.id(), p, follow))
                    .filter(b -> !b.isEmpty());
            return HttpResponse.create().withStatus(StatusCodes.OK)
                    .withEntity(HttpEntities.createChunked(ContentTypes.TEXT_PLAIN_UTF8, bytes));
        });
    }

    /**
     * The node to read from: the VM's node while it has one; otherwise the node with the newest log of it
     * (where it last ran). Answers a {@link Position} or the refusal as an {@link HttpResponse}.
     */
    private CompletionStage<Object> locate(VmState state, Scheduler.NodeList list) {
        Map<String, ActorRef<NodeConsole.Read>> readers = list.consoles();
        if (state.node() != null) {
            NodeView node = list.items().stream().filter(n -> n.name().equals(state.node())).findFirst().orElse(null);
            if (node != null && "test".equals(node.virtualization())) {
                return CompletableFuture.completedFuture(testDriver(state, node));
            }
            ActorRef<NodeConsole.Read> reader = readers.get(state.node());
            if (reader == null) {
                return CompletableFuture.completedFuture(conflict("virtualmachine " + state.id() + " runs on node "
                        + state.node() + ", which cannot be reached now (" + (node == null ? "unknown" : node.state())
                        + "); try again once it is Ready"));
            }
            return read(state.id(), reader, null, 0, 0).thenApply(chunk -> chunk.exists()
                    ? new Position(state.node(), reader) : notBooted(state));
        }
        List<CompletableFuture<Optional<NodeConsole.Chunk>>> asked = new ArrayList<>();
        readers.forEach((name, reader) -> asked.add(read(state.id(), reader, null, 0, 0).toCompletableFuture()
                .thenApply(Optional::of).exceptionally(e -> Optional.empty())));
        return CompletableFuture.allOf(asked.toArray(CompletableFuture[]::new)).thenApply(done -> {
            Optional<NodeConsole.Chunk> newest = asked.stream().map(CompletableFuture::join).flatMap(Optional::stream)
                    .filter(NodeConsole.Chunk::exists).max(Comparator.comparingLong(NodeConsole.Chunk::modifiedMillis));
            if (newest.isPresent()) {
                return new Position(newest.get().node(), readers.get(newest.get().node()));
            }
            if (!list.items().isEmpty() && list.items().stream().allMatch(n -> "test".equals(n.virtualization()))) {
                return testDriver(state, list.items().get(0));
            }
            return notBooted(state);
        });
    }

    /** The next piece of the console: empty bytes while there is nothing new (following), none at the end. */
    private CompletionStage<Optional<Pair<Position, ByteString>>> next(VmId vm, Position p, boolean follow) {
        if (p.done) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        CompletionStage<Position> where = follow && ++p.polls % RELOCATE_EVERY == 0 ? relocate(vm, p)
                : CompletableFuture.completedFuture(p);
        return where.thenCompose(at -> read(vm, at.reader, at.fileKey, at.position, ConsoleReader.MAX_CHUNK)
                .handle((chunk, failure) -> {
                    if (failure != null || !chunk.exists()) {
                        at.done = !follow;
                        return ByteString.emptyByteString();
                    }
                    if (at.endAtStart < 0) {
                        at.endAtStart = chunk.size();
                    }
                    at.fileKey = chunk.fileKey();
                    at.position = chunk.position() + chunk.bytes().length;
                    ByteString bytes = ByteString.fromArray(chunk.bytes());
                    at.done = !follow && (bytes.isEmpty() || at.position >= at.endAtStart);
                    return bytes;
                })
                .thenCompose(bytes -> {
                    Optional<Pair<Position, ByteString>> step = Optional.of(Pair.create(at, bytes));
                    return follow && bytes.isEmpty() ? delayed(step) : CompletableFuture.completedFuture(step);
                }));
    }

    /** A follower moves to the node the VM runs on now (it was started again elsewhere): from its new boot's start. */
    private CompletionStage<Position> relocate(VmId vm, Position at) {
        return vms.get(vm).thenCombine(status.nodeList(), (state, list) -> {
            ActorRef<NodeConsole.Read> reader = state.node() == null ? null : list.consoles().get(state.node());
            if (reader != null && !state.node().equals(at.node)) {
                at.node = state.node();
                at.reader = reader;
                at.fileKey = null;
                at.position = 0;
            }
            return at;
        }).exceptionally(e -> at);
    }

    private <T> CompletionStage<T> delayed(T value) {
        CompletableFuture<T> later = new CompletableFuture<>();
        system.scheduler().scheduleOnce(POLL, () -> later.complete(value), system.executionContext());
        return later;
    }

    private CompletionStage<NodeConsole.Chunk> read(VmId vm, ActorRef<NodeConsole.Read> reader, String fileKey,
                                                   long position, int maxBytes) {
        return AskPattern.ask(reader, replyTo -> new NodeConsole.Read(vm, fileKey, position, maxBytes, replyTo),
                timeout, system.scheduler());
    }

    private static HttpResponse testDriver(VmState state, NodeView node) {
        return conflict("virtualmachine " + state.id() + " has no serial console: node " + node.name() + " runs on"
                + " libvirt's test driver (" + node.hypervisor() + "), whose domains run no guest; run nodes with"
                + " --hypervisor qemu:///system for real guests");
    }

    private static HttpResponse notBooted(VmState state) {
        return conflict("virtualmachine " + state.id() + " has no console yet: it has not booted (status "
                + state.phase() + "); start it and try again");
    }

    private static HttpResponse conflict(String message) {
        return ApiResponses.error(StatusCodes.CONFLICT, "NoConsole", message, null);
    }

    private static boolean flag(String value) {
        if (value.equalsIgnoreCase("true") || value.isEmpty()) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidManifestException("follow", "follow=" + Limits.shown(value) + " is not a boolean: use follow=true or"
                + " follow=false");
    }
}
