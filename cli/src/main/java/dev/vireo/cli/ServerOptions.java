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
