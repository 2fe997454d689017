package dev.vireo.node;

import dev.vireo.protocol.node.NodeConsole;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Serves the console logs of this node's VMs to the control plane ({@link NodeConsole}): each answer is the
 * next piece of the file after the position the reader has got to. A new boot writes a new file (the agent
 * deletes the old one first): its file key differs, and the answer starts again at its beginning. Reads
 * run on the blocking dispatcher; the actor only hands them out.
 */
public final class ConsoleReader {

    /** The most one answer carries: well below Artery's frame size. */
    public static final int MAX_CHUNK = 64 * 1024;

    private ConsoleReader() {
    }

    public static Behavior<NodeConsole.Read> create(String node, Path dataDirectory) {
        return Behaviors.setup(context -> {
            Executor blocking = context.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
            return Behaviors.receiveMessage(read -> {
                Path log = VmFiles.of(dataDirectory, read.vm()).consoleLog();
                CompletableFuture.supplyAsync(() -> chunk(node, log, read.fileKey(), read.position(), read.maxBytes()),
                        blocking).whenComplete((chunk, failure) -> read.replyTo().tell(chunk != null ? chunk
                        : new NodeConsole.Chunk(node, false, null, 0, new byte[0], 0, 0)));
                return Behaviors.same();
            });
        });
    }

    /** What follows {@code position} of {@code fileKey} in {@code log}; from its start if it is another file now. */
    static NodeConsole.Chunk chunk(String node, Path log, String fileKey, long position, int maxBytes) {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(log, BasicFileAttributes.class);
        } catch (IOException e) {
            return new NodeConsole.Chunk(node, false, null, 0, new byte[0], 0, 0);
        }
        String key = String.valueOf(attributes.fileKey());
        long from = Objects.equals(key, fileKey) && position <= attributes.size() ? Math.max(0, position) : 0;
        int want = (int) Math.min(Math.max(0, Math.min(maxBytes, MAX_CHUNK)), attributes.size() - from);
        byte[] bytes = want <= 0 ? new byte[0] : read(log, from, want);
        return new NodeConsole.Chunk(node, true, key, from, bytes, attributes.size(),
                attributes.lastModifiedTime().toMillis());
    }

    private static byte[] read(Path log, long from, int want) {
        try (FileChannel channel = FileChannel.open(log, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate(want);
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, from + buffer.position());
                if (n <= 0) {
                    break;
                }
            }
            return Arrays.copyOf(buffer.array(), buffer.position());
        } catch (NoSuchFileException e) {
            return new byte[0];
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
