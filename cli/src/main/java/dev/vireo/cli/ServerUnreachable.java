package dev.vireo.cli;

import java.net.URI;

/** No Vireo answers at the server address: most often it simply is not started. */
public final class ServerUnreachable extends CommandFailure {
    public ServerUnreachable(URI server, String why) {
        super(UNREACHABLE, "cannot reach Vireo at " + display(server) + " (" + why + "): "
                + "is Vireo running? start it with bin/vireo up, or point --server / VIREO_SERVER at it");
    }

    static String display(URI server) {
        String text = server.toString();
        return text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
    }
}
