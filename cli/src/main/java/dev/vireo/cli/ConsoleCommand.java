package dev.vireo.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "console", description = "Print the VM's serial console since its current boot (read-only).")
final class ConsoleCommand extends ClientCommand {
    @Parameters(index = "0", paramLabel = "NAME", description = "The VM.")
    String name;

    @Option(names = {"-f", "--follow"}, description = "Keep printing new console output until Ctrl-C.")
    boolean follow;

    @Override
    void run() {
        String query = VireoClient.query(VireoClient.params("follow", String.valueOf(follow)));
        PrintWriter out = out();
        try (InputStream body = client().stream(vmPath(name) + "/console" + query, "text/plain");
             Reader text = new InputStreamReader(body, StandardCharsets.UTF_8)) {
            char[] buffer = new char[4096];
            for (int n = text.read(buffer); n >= 0; n = text.read(buffer)) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            throw new CommandFailure(CommandFailure.REJECTED, "the console stream of " + name + " broke off: " + e.getMessage());
        }
    }
}
