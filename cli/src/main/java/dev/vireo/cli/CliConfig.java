package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;

/**
 * The CLI's config file: per server URL, the token (and CA file) to use with it, so that the commands work
 * without {@code --token}. {@code vireo up} and {@code vireo control-plane} write their admin token in it on
 * their first start. Where: {@code $VIREO_CONFIG}, else {@code $XDG_CONFIG_HOME/vireo/config.json}, else
 * {@code ~/.config/vireo/config.json}; mode 0600. Shape: {@code {"servers": {"http://127.0.0.1:8080":
 * {"token": "…", "ca": "/path/ca.pem"}}}}.
 */
public final class CliConfig {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the config says for one server. */
    public record Entry(String token, String ca) {
    }

    private CliConfig() {
    }

    public static Path location() {
        String given = System.getenv("VIREO_CONFIG");
        if (given != null && !given.isBlank()) {
            return Path.of(given);
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("vireo").resolve("config.json");
    }

    /** The entry for {@code server}, if the config file has one. */
    public static Optional<Entry> forServer(URI server) {
        Path file = location();
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        try {
            JsonNode entry = JSON.readTree(file.toFile()).path("servers").path(key(server));
            if (entry.isMissingNode()) {
                return Optional.empty();
            }
            return Optional.of(new Entry(text(entry, "token"), text(entry, "ca")));
        } catch (IOException e) {
            throw new CommandFailure(CommandFailure.REJECTED, "the CLI config " + file + " is not JSON ("
                    + e.getMessage() + "): fix it or remove it");
        }
    }

    /** Records {@code token} (and {@code ca}, may be null) for {@code server}; other servers' entries stay. */
    public static synchronized Path remember(URI server, String token, Path ca) throws IOException {
        Path file = location();
        ObjectNode root = Files.isReadable(file) ? (ObjectNode) JSON.readTree(file.toFile()) : JSON.createObjectNode();
        ObjectNode servers = root.with("servers");
        ObjectNode entry = servers.putObject(key(server));
        entry.put("token", token);
        if (ca != null) {
            entry.put("ca", ca.toAbsolutePath().toString());
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Path temporary = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(temporary);
        try {
            Files.createFile(temporary, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(temporary);
        }
        Files.write(temporary, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        Files.move(temporary, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return file;
    }

    /** {@code scheme://host:port}, localhost and the any-address written as 127.0.0.1, default ports filled in. */
    static String key(URI server) {
        String scheme = server.getScheme() == null ? "http" : server.getScheme().toLowerCase(Locale.ROOT);
        String host = server.getHost() == null ? "127.0.0.1" : server.getHost().toLowerCase(Locale.ROOT);
        if (host.equals("localhost") || host.equals("0.0.0.0") || host.equals("[::1]") || host.equals("::1")) {
            host = "127.0.0.1";
        }
        int port = server.getPort() >= 0 ? server.getPort() : scheme.equals("https") ? 443 : 80;
        return scheme + "://" + host + ":" + port;
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.path(field);
        return value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }
}
