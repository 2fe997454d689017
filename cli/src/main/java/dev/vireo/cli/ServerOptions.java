package dev.vireo.cli;

import java.net.URI;
import picocli.CommandLine.Option;

/** The options every client command takes: where Vireo is, and which namespace. */
public final class ServerOptions {
    @Option(names = "--server", paramLabel = "URL",
            defaultValue = "${env:VIREO_SERVER:-http://localhost:8080}",
            description = "Vireo's HTTP address (default: $VIREO_SERVER, else http://localhost:8080).")
    String server;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "default",
            description = "Namespace of the VM (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:VIREO_TOKEN}",
            description = "Bearer token (default: $VIREO_TOKEN, else the CLI config's token for the server,"
                    + " which vireo up writes: ~/.config/vireo/config.json or $VIREO_CONFIG).")
    String token;

    @Option(names = "--ca", paramLabel = "FILE",
            description = "PEM file of the CA (or certificate) to trust for an https:// server (default: the CLI"
                    + " config's, else the JVM's trusted CAs).")
    java.nio.file.Path ca;

    /** The token to send: --token, $VIREO_TOKEN, else the CLI config's for this server (null: none). */
    String token(URI server) {
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        return CliConfig.forServer(server).map(CliConfig.Entry::token).orElse(null);
    }

    /** The CA file to trust: --ca, else the CLI config's for this server (null: the JVM's CAs). */
    java.nio.file.Path ca(URI server) {
        if (ca != null) {
            return ca;
        }
        return CliConfig.forServer(server).map(CliConfig.Entry::ca).map(java.nio.file.Path::of).orElse(null);
    }

    URI serverUri() {
        String base = server.strip();
        while (base.endsWith("/")) {
            base = base.substring(0, base.length() - 1);
        }
        if (!base.contains("://")) {
            base = "http://" + base;
        }
        try {
            URI uri = URI.create(base + "/");
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("no host");
            }
            return uri;
        } catch (IllegalArgumentException e) {
            throw new CommandFailure(CommandFailure.REJECTED,
                    "--server " + server + " is not a URL; write it like http://localhost:8080");
        }
    }
}
