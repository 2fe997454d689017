package dev.vireo.protocol.node;

import dev.vireo.protocol.CborSerializable;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * What a node holds in its images directory ({@code --images}): each regular file's path relative to the
 * directory, its size and its SHA-256 (null until the node has computed it). Links are followed and listed
 * only when they stay inside the directory; hidden files and directories are not listed.
 *
 * <p>A manifest names an image relative to the images directory, or absolute inside it. Which file that is
 * depends on the node's directory, so the answer is per node: {@link #relative} says what a path names
 * here, {@link #holds} whether the node has it. Pure text: the node checks again, with links followed,
 * when it opens the file.
 */
public record NodeImages(String directory, List<ImageFile> files) implements CborSerializable {

    public static final NodeImages NONE = new NodeImages(null, List.of());

    public record ImageFile(String path, long size, String sha256) implements CborSerializable {
    }

    public NodeImages {
        files = files == null ? List.of() : List.copyOf(files);
    }

    /**
     * The path {@code specPath} names relative to this node's images directory; empty when it names nothing
     * inside it (absolute elsewhere, or a {@code ..} that leaves it).
     */
    public Optional<String> relative(String specPath) {
        return relative(directory, specPath);
    }

    /** Whether this node holds the file {@code specPath} names. */
    public boolean holds(String specPath) {
        Optional<String> relative = relative(specPath);
        return relative.isPresent() && paths().contains(relative.get());
    }

    /** Whether this node holds every one of {@code specPaths}. */
    public boolean holdsAll(List<String> specPaths) {
        if (specPaths == null || specPaths.isEmpty()) {
            return true;
        }
        Set<String> held = paths();
        return specPaths.stream().allMatch(p -> relative(p).map(held::contains).orElse(false));
    }

    public Optional<ImageFile> file(String specPath) {
        return relative(specPath).flatMap(r -> files.stream().filter(f -> f.path().equals(r)).findFirst());
    }

    private Set<String> paths() {
        return files.stream().map(ImageFile::path).collect(Collectors.toSet());
    }

    /** {@code specPath} relative to {@code directory}, lexically ({@code .} and {@code ..} resolved as text). */
    public static Optional<String> relative(String directory, String specPath) {
        if (specPath == null || specPath.isBlank() || specPath.indexOf('\0') >= 0) {
            return Optional.empty();
        }
        String path;
        if (specPath.startsWith("/")) {
            if (directory == null) {
                return Optional.empty();
            }
            String dir = normalize(directory);
            String abs = normalize(specPath);
            if (dir == null || abs == null || !abs.startsWith(dir.equals("/") ? "/" : dir + "/")) {
                return Optional.empty();
            }
            path = abs.substring(dir.equals("/") ? 1 : dir.length() + 1);
        } else {
            path = normalize("/" + specPath);
            if (path == null) {
                return Optional.empty();
            }
            path = path.substring(1);
        }
        return path.isEmpty() ? Optional.empty() : Optional.of(path);
    }

    /** An absolute path with {@code .}, {@code ..} and repeated slashes resolved; null if {@code ..} leaves {@code /}. */
    private static String normalize(String absolute) {
        java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
        for (String part : absolute.split("/")) {
            if (part.isEmpty() || part.equals(".")) {
                continue;
            }
            if (part.equals("..")) {
                if (parts.isEmpty()) {
                    return null;
                }
                parts.removeLast();
            } else {
                parts.addLast(part);
            }
        }
        return "/" + String.join("/", parts);
    }
}
