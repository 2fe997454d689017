package dev.vireo.api;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Objects;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Reads a console log file from its start and, when following, what is appended to it later (tail -f).
 * A new boot deletes and re-creates the file (or truncates it): the tail then starts again at its start,
 * so a follower sees every boot. Polls instead of holding a thread per follower.
 */
final class ConsoleTail {

    private static final int CHUNK = 64 * 1024;
    private static final String BLOCKING_IO = "pekko.stream.materializer.blocking-io-dispatcher";

    private final Path file;
    private long position;
    private Object fileKey;

    private ConsoleTail(Path file) {
        this.file = file;
    }

    /** What the file holds now, in chunks; ends there. */
    static Source<ByteString, NotUsed> upToNow(Path file) {
        return Source.lazySource(() -> {
            ConsoleTail tail = new ConsoleTail(file);
            long end = tail.size();
            return Source.unfold(tail, t -> {
                ByteString chunk = t.position < end ? t.read(Math.min(end - t.position, CHUNK)) : ByteString.emptyByteString();
                return chunk.isEmpty() ? java.util.Optional.empty() : java.util.Optional.of(
                        org.apache.pekko.japi.Pair.create(t, chunk));
            });
        }).mapMaterializedValue(f -> NotUsed.getInstance())
                .withAttributes(ActorAttributes.dispatcher(BLOCKING_IO));
    }

    /** The file from its start, then whatever is appended, polled every {@code poll}; never ends by itself. */
    static Source<ByteString, NotUsed> following(Path file, Duration poll) {
        return Source.tick(Duration.ZERO, poll, NotUsed.getInstance())
                .statefulMapConcat(() -> {
                    ConsoleTail tail = new ConsoleTail(file);
                    return tick -> {
                        ByteString chunk = tail.readNew();
                        return chunk.isEmpty() ? java.util.List.of() : java.util.List.of(chunk);
                    };
                })
                .mapMaterializedValue(c -> NotUsed.getInstance())
                .withAttributes(ActorAttributes.dispatcher(BLOCKING_IO));
    }

    /** Everything appended since the last read (a new boot's file: from its start), at most a few MiB. */
    ByteString readNew() throws IOException {
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            return ByteString.emptyByteString();
        }
        if (!Objects.equals(attributes.fileKey(), fileKey) || attributes.size() < position) {
            fileKey = attributes.fileKey();
            position = 0;
        }
        return read(Math.min(attributes.size() - position, 64L * CHUNK));
    }

    private long size() throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            return 0;
        }
    }

    private ByteString read(long max) throws IOException {
        if (max <= 0) {
            return ByteString.emptyByteString();
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(max, CHUNK));
            ByteString read = ByteString.emptyByteString();
            while (read.size() < max) {
                buffer.clear();
                buffer.limit((int) Math.min(buffer.capacity(), max - read.size()));
                int n = channel.read(buffer, position);
                if (n <= 0) {
                    break;
                }
                buffer.flip();
                read = read.concat(ByteString.fromByteBuffer(buffer));
                position += n;
            }
            return read;
        } catch (NoSuchFileException e) {
            return ByteString.emptyByteString();
        }
    }
}
