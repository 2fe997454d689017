package dev.vireo.persistence;

import org.h2.store.fs.FileBase;
import org.h2.store.fs.FilePath;
import org.h2.store.fs.FilePathWrapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An H2 file system ({@code jdbc:h2:powercut:/dir/journal}) that passes every operation to the disk and keeps
 * beside each database file ({@code .mv.db}) the image a power cut would leave: only the bytes a force of
 * the file covered. A write goes to the image when a later {@link FileChannel#force} of that file returns;
 * everything written since the last force is what the disk's cache would lose.
 */
public final class PowerCutFilePath extends FilePathWrapper {

    static final String SCHEME = "powercut";
    private static final Map<String, Image> IMAGES = new ConcurrentHashMap<>();

    static {
        FilePath.register(new PowerCutFilePath());
    }

    /** H2 makes one per path, by reflection. */
    public PowerCutFilePath() {
    }

    /** Makes sure the scheme is registered before H2 sees a URL with it. */
    static void register() {
    }

    /** Journal settings that put the journal on this file system (registered first). */
    static com.typesafe.config.Config journalOnIt() {
        register();
        return com.typesafe.config.ConfigFactory.parseString("vireo.persistence.journal-url = \"jdbc:h2:" + SCHEME
                + ":\"${vireo.data-dir}\"/journal\"${vireo.persistence.h2-url-options}");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    @Override
    public FileChannel open(String mode) throws IOException {
        FileChannel channel = getBase().open(mode);
        String file = getBase().toString();
        if (!file.endsWith(".mv.db")) {
            return channel;
        }
        Image image = IMAGES.computeIfAbsent(Path.of(file).toAbsolutePath().normalize().toString(),
                f -> new Image(readQuietly(Path.of(f))));
        return new Channel(channel, image);
    }

    /** The power goes off for {@code databaseFile}: what a force covered until now, and nothing later, is kept. */
    static byte[] cut(Path databaseFile) {
        Image image = IMAGES.get(databaseFile.toAbsolutePath().normalize().toString());
        if (image == null) {
            throw new IllegalStateException("no database file " + databaseFile + " was opened through " + SCHEME + ":");
        }
        return image.cut();
    }

    private static byte[] readQuietly(Path file) {
        try {
            return Files.exists(file) ? Files.readAllBytes(file) : new byte[0];
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file as the disk holds it after a power cut, and the writes and truncation a force has yet to cover. */
    private static final class Image {
        private byte[] durable;
        private int length;
        private final List<Object> pending = new ArrayList<>();
        private boolean cut;
        private long forces;

        Image(byte[] initial) {
            durable = initial;
            length = initial.length;
        }

        synchronized void written(long position, byte[] bytes) {
            pending.add(new Write(position, bytes));
        }

        synchronized void truncated(long size) {
            pending.add(size);
        }

        synchronized void forced() {
            if (cut) {
                return;
            }
            forces++;
            for (Object change : pending) {
                if (change instanceof Write w) {
                    int end = Math.toIntExact(w.position + w.bytes.length);
                    if (end > durable.length) {
                        durable = Arrays.copyOf(durable, Math.max(end, durable.length * 2));
                    }
                    System.arraycopy(w.bytes, 0, durable, (int) w.position, w.bytes.length);
                    length = Math.max(length, end);
                } else {
                    length = Math.min(length, Math.toIntExact((Long) change));
                }
            }
            pending.clear();
        }

        synchronized byte[] cut() {
            cut = true;
            return Arrays.copyOf(durable, length);
        }
    }

    private record Write(long position, byte[] bytes) {
    }

    private static final class Channel extends FileBase {
        private final FileChannel disk;
        private final Image image;
        private long position;

        Channel(FileChannel disk, Image image) {
            this.disk = disk;
            this.image = image;
        }

        @Override
        public synchronized int read(ByteBuffer dst) throws IOException {
            int n = disk.read(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public int read(ByteBuffer dst, long at) throws IOException {
            return disk.read(dst, at);
        }

        @Override
        public synchronized int write(ByteBuffer src) throws IOException {
            int n = write(src, position);
            position += n;
            return n;
        }

        @Override
        public int write(ByteBuffer src, long at) throws IOException {
            byte[] bytes = new byte[src.remaining()];
            src.duplicate().get(bytes);
            int n = disk.write(src, at);
            image.written(at, Arrays.copyOf(bytes, n));
            return n;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            // what was written before the force began is covered once it returns
            synchronized (image) {
                disk.force(metaData);
                image.forced();
            }
        }

        @Override
        public synchronized long position() {
            return position;
        }

        @Override
        public synchronized FileChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public long size() throws IOException {
            return disk.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            disk.truncate(size);
            image.truncated(size);
            return this;
        }

        @Override
        public FileLock tryLock(long at, long size, boolean shared) throws IOException {
            return disk.tryLock(at, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            disk.close();
        }
    }
}
