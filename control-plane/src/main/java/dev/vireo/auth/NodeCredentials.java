package dev.vireo.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node credentials file of the control plane ({@code --node-tokens}): one {@code name,token} a line, the
 * secret each node runtime proves its name with ({@code vireo node --node-token-file}). Blank lines and
 * {@code #} comments are skipped. The file is looked at again when asked ({@link #current}): a changed file is
 * read again, so that a changed or removed line takes effect; a file that cannot be read or parsed leaves the
 * credentials as they were (said in the log), because refusing every node would take every VM's node away.
 */
public final class NodeCredentials {

    private static final Logger log = LoggerFactory.getLogger(NodeCredentials.class);
    private static final Pattern NAME = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

    private final Path path;
    private Object version;
    private Map<String, String> tokens;

    /** Reads {@code path}; a file that cannot be used is an {@link IllegalArgumentException} naming the line. */
    public NodeCredentials(Path path) {
        this.path = path.toAbsolutePath();
        this.version = version();
        try {
            this.tokens = parse(Files.readAllLines(this.path, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("--node-tokens " + this.path + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--node-tokens " + this.path + ": " + e.getMessage(), e);
        }
        log.info("node credentials {}: {} node(s): {}", this.path, tokens.size(), tokens.keySet());
    }

    public Path path() {
        return path;
    }

    /** The token of node {@code name}, as the file says now. */
    public Optional<String> token(String name) {
        return Optional.ofNullable(current().get(name));
    }

    /** name -> token as the file says now (read again if it changed since). */
    public synchronized Map<String, String> current() {
        Object now = version();
        if (!Objects.equals(now, version)) {
            version = now;
            try {
                tokens = parse(Files.readAllLines(path, StandardCharsets.UTF_8));
                log.info("node credentials {} changed: {} node(s): {}", path, tokens.size(), tokens.keySet());
            } catch (IOException | IllegalArgumentException e) {
                log.error("node credentials {} cannot be used, the credentials read before stay in force until it is"
                        + " fixed: {}", path, e.getMessage());
            }
        }
        return tokens;
    }

    private Object version() {
        return TokenFile.versionOf(path);
    }

    /** name -> token from the lines of a node credentials file. */
    static Map<String, String> parse(List<String> lines) {
        Map<String, String> tokens = new HashMap<>();
        for (Map.Entry<Integer, String> line : TokenFile.contentLines(lines).entrySet()) {
            int number = line.getKey();
            String trimmed = line.getValue();
            int comma = trimmed.indexOf(',');
            if (comma < 0) {
                throw new IllegalArgumentException("line " + number + ": expected name,token");
            }
            String name = trimmed.substring(0, comma).strip();
            String token = trimmed.substring(comma + 1).strip();
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("line " + number + ": the node name must be a DNS-1123 label"
                        + " (lower-case letters, digits and '-', at most 63)");
            }
            if (token.isEmpty() || token.contains(",")) {
                throw new IllegalArgumentException("line " + number + ": node " + name + " needs one token, without"
                        + " commas");
            }
            if (tokens.put(name, token) != null) {
                throw new IllegalArgumentException("line " + number + ": node " + name + " is named twice");
            }
        }
        return Map.copyOf(tokens);
    }
}
