package dev.vireo.auth;

import dev.vireo.protocol.auth.User;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bearer tokens from a file in Kubernetes' static token file format, one {@code token,user,uid,"group1,group2"}
 * a line. The file is looked at again on every check (a stat): once it changed, it is read again, so that a
 * removed line revokes its token at once. A file that cannot be read or parsed keeps nobody in: every token
 * is refused until it is fixed.
 */
public final class TokenFile {

    private static final Logger log = LoggerFactory.getLogger(TokenFile.class);

    private final Path path;
    private volatile Loaded loaded = new Loaded(null, Map.of());
    private volatile TokenReviews reviews;

    /** The tokens as last read, by the SHA-256 of the token (no token is kept, nor compared as a string). */
    private record Loaded(Object version, Map<String, User> byDigest) {
    }

    public TokenFile(Path path) {
        this.path = path.toAbsolutePath();
        current();
    }

    public Path path() {
        return path;
    }

    /** Tokens the file does not know are checked by Kubernetes TokenReview besides. */
    public TokenFile withReviews(TokenReviews reviews) {
        this.reviews = reviews;
        return this;
    }

    /**
     * The user {@code token} belongs to, as the file says now; a token the file does not know, as TokenReview
     * said last (without waiting for it: for checks that run again and again).
     */
    public Optional<User> authenticate(String token) {
        if (token == null || token.isEmpty()) {
            return Optional.empty();
        }
        Optional<User> user = Optional.ofNullable(current().byDigest().get(digest(token)));
        TokenReviews r = reviews;
        return user.isPresent() || r == null ? user : r.known(token);
    }

    /** The user {@code token} belongs to: the file's, else (when on) the one Kubernetes TokenReview answers. */
    public java.util.concurrent.CompletionStage<Optional<User>> authenticateAsync(String token) {
        if (token == null || token.isEmpty()) {
            return java.util.concurrent.CompletableFuture.completedFuture(Optional.empty());
        }
        Optional<User> user = Optional.ofNullable(current().byDigest().get(digest(token)));
        TokenReviews r = reviews;
        return user.isPresent() || r == null ? java.util.concurrent.CompletableFuture.completedFuture(user)
                : r.review(token);
    }

    private Loaded current() {
        Object version = version();
        Loaded now = loaded;
        if (Objects.equals(now.version(), version)) {
            return now;
        }
        synchronized (this) {
            if (Objects.equals(loaded.version(), version)) {
                return loaded;
            }
            Map<String, User> users = new HashMap<>();
            try {
                for (Map.Entry<String, User> e : parse(Files.readAllLines(path, StandardCharsets.UTF_8)).entrySet()) {
                    users.put(digest(e.getKey()), e.getValue());
                }
                log.info("token file {}: {} tokens", path, users.size());
            } catch (IOException | IllegalArgumentException e) {
                log.error("token file {} cannot be used, every token is refused until it is fixed: {}", path,
                        e.getMessage());
                users.clear();
            }
            loaded = new Loaded(version, Map.copyOf(users));
            return loaded;
        }
    }

    private Object version() {
        return versionOf(path);
    }

    /** What tells a changed file apart: its inode, size and modification time ("missing" when it is gone). */
    static Object versionOf(Path path) {
        try {
            BasicFileAttributes a = Files.readAttributes(path, BasicFileAttributes.class);
            return List.of(String.valueOf(a.fileKey()), a.size(), a.lastModifiedTime().toMillis(),
                    a.lastModifiedTime().toString());
        } catch (IOException e) {
            return "missing";
        }
    }

    /** token -> user, from the lines of a static token file; blank lines and {@code #} comments are skipped. */
    static Map<String, User> parse(List<String> lines) {
        Map<String, User> users = new HashMap<>();
        for (Map.Entry<Integer, String> line : contentLines(lines).entrySet()) {
            int number = line.getKey();
            List<String> fields = csv(line.getValue());
            if (fields.size() < 3 || fields.get(0).isEmpty() || fields.get(1).isEmpty()) {
                throw new IllegalArgumentException("line " + number + ": expected token,user,uid[,\"group1,group2\"]");
            }
            Set<String> groups = new LinkedHashSet<>();
            if (fields.size() > 3) {
                for (String g : fields.get(3).split(",")) {
                    if (!g.isBlank()) {
                        groups.add(g.strip());
                    }
                }
            }
            users.put(fields.get(0), new User(fields.get(1), fields.get(2), groups));
        }
        return users;
    }

    /** The lines that say something (neither blank nor a {@code #} comment), stripped, by line number from 1. */
    static Map<Integer, String> contentLines(List<String> lines) {
        Map<Integer, String> content = new java.util.LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String trimmed = lines.get(i).strip();
            if (!trimmed.isEmpty() && !trimmed.startsWith("#")) {
                content.put(i + 1, trimmed);
            }
        }
        return content;
    }

    /** The fields of one CSV line: commas separate, double quotes enclose a field with commas. */
    private static List<String> csv(String line) {
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (c == '"') {
                if (quoted && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else {
                    quoted = !quoted;
                }
            } else if (c == ',' && !quoted) {
                fields.add(field.toString().strip());
                field.setLength(0);
            } else {
                field.append(c);
            }
        }
        fields.add(field.toString().strip());
        return fields;
    }

    static String digest(String token) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
