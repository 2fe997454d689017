package dev.vireo.cli;

import java.io.PrintWriter;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that talks to the Vireo API; writes through picocli's out/err so tests can capture them. */
abstract class ClientCommand implements Callable<Integer> {
    @Mixin
    ServerOptions options;

    @Spec
    CommandSpec spec;

    private VireoClient client;

    VireoClient client() {
        if (client == null) {
            URI server = options.serverUri();
            client = new VireoClient(server, options.token(server), options.ca(server));
        }
        return client;
    }

    String namespace() {
        return options.namespace;
    }

    String vmPath(String name) {
        return VireoClient.vmPath(namespace(), name);
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    void say(String line) {
        out().println(line);
        out().flush();
    }

    @Override
    public final Integer call() throws Exception {
        run();
        return 0;
    }

    abstract void run() throws Exception;
}
