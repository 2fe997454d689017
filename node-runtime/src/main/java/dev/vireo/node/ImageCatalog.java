package dev.vireo.node;

import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.node.NodeImages.ImageFile;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node holds in its images directory, as it reports it to the scheduler ({@link NodeImages}): every
 * regular file reached from the directory (links followed, but only those whose real path stays inside
 * it), with size and SHA-256. Hidden files and directories (such as guest-image.sh's download cache) are
 * left out. A scan reads directories and attributes only; checksums are computed on a thread of their own
 * and kept while a file's size and modification time stay the same, so a scan never waits for them.
 */
public final class ImageCatalog implements AutoCloseable {

    /** Bounds a scan of a directory someone filled with far too much. */
    static final int MAX_FILES = 10_000;
    static final int MAX_DEPTH = 8;

    private static final Logger log = LoggerFactory.getLogger(ImageCatalog.class);

    private record Stamp(long size, long modified) {
    }

    private record Sum(Stamp stamp, String sha256) {
    }

    private final Path directory;
    private final Map<String, Sum> sums = new ConcurrentHashMap<>();
    private final Map<String, Stamp> pending = new ConcurrentHashMap<>();
    private final ExecutorService summer = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "vireo-image-checksums");
        t.setDaemon(true);
        return t;
    });

    public ImageCatalog(Path directory) {
        this.directory = directory == null ? null : directory.toAbsolutePath().normalize();
    }

    public Path directory() {
        return directory;
    }

    /** The images held now (checksums that are not computed yet are null). Blocking: file system reads. */
    public NodeImages scan() {
        if (directory == null) {
            return NodeImages.NONE;
        }
        Path real;
        try {
            real = directory.toRealPath();
        } catch (IOException e) {
            return new NodeImages(directory.toString(), List.of()); // not there (yet): holds nothing
        }
        List<ImageFile> files = new ArrayList<>();
        try {
            Files.walkFileTree(directory, EnumSet.of(FileVisitOption.FOLLOW_LINKS), MAX_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    if (!dir.equals(directory) && (hidden(dir) || !dir.toRealPath().startsWith(real))) {
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    if (files.size() >= MAX_FILES) {
                        return FileVisitResult.TERMINATE;
                    }
                    if (attrs.isRegularFile() && !hidden(file) && file.toRealPath().startsWith(real)) {
                        String relative = directory.relativize(file).toString();
                        Stamp stamp = new Stamp(attrs.size(), attrs.lastModifiedTime().toMillis());
                        files.add(new ImageFile(relative, attrs.size(), sumOf(relative, file, stamp)));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE; // a dangling link or an unreadable entry: not an image
                }
            });
        } catch (IOException e) {
            log.warn("images directory {} could not be read completely: {}", directory, e.toString());
        }
        files.sort(java.util.Comparator.comparing(ImageFile::path));
        return new NodeImages(directory.toString(), files);
    }

    private static boolean hidden(Path p) {
        return p.getFileName() != null && p.getFileName().toString().startsWith(".");
    }

    /** The checksum when it is known for this size and time; otherwise null, and it is computed in the background. */
    private String sumOf(String relative, Path file, Stamp stamp) {
        Sum known = sums.get(relative);
        if (known != null && known.stamp().equals(stamp)) {
            return known.sha256();
        }
        if (!stamp.equals(pending.put(relative, stamp))) {
            summer.execute(() -> {
                try {
                    sums.put(relative, new Sum(stamp, sha256(file)));
                } catch (IOException e) {
                    log.warn("cannot read image {} to checksum it: {}", file, e.toString());
                } finally {
                    pending.remove(relative, stamp);
                }
            });
        }
        return null;
    }

    static String sha256(Path file) throws IOException {
        MessageDigest digest;
        try {
            digest = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    @Override
    public void close() {
        summer.shutdownNow();
    }
}
