package dev.vireo.api;

import dev.vireo.node.VmFiles;
import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.vm.Rejection;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET …/virtualmachines/{name}/console}: the VM's serial console log as plain text, from the start
 * of its current boot, then followed ({@code ?follow=false} ends at what is there). Read-only: the
 * interactive WebSocket console is not there yet.
 */
final class ConsoleRoute extends AllDirectives {

    private static final Duration POLL = Duration.ofMillis(200);

    private final VirtualMachines vms;
    private final Path dataDir;
    private final String hypervisor;

    ConsoleRoute(VirtualMachines vms, Path dataDir, String hypervisor) {
        this.vms = vms;
        this.dataDir = dataDir;
        this.hypervisor = hypervisor;
    }

    /** Where the node writes a VM's console: the node runtime's layout, read on the same machine. */
    static Path consoleLog(Path dataDir, VmId id) {
        return VmFiles.of(dataDir, id).consoleLog();
    }

    Route route(VmId id) {
        return path("console", () -> get(() -> parameterOptional("follow", follow -> {
            boolean following = follow.map(ConsoleRoute::flag).orElse(true);
            return completeWithFuture(vms.get(id).thenApply(state -> console(state, following)));
        })));
    }

    private HttpResponse console(VmState state, boolean follow) {
        if (!state.exists()) {
            return ApiResponses.rejected(Rejection.notFound(state.id()));
        }
        if (hypervisor.startsWith("test:")) {
            return conflict("virtualmachine " + state.id() + " has no serial console: this Vireo runs on libvirt's"
                    + " test driver (" + hypervisor + "), whose domains run no guest; start Vireo with"
                    + " --hypervisor qemu:///system for real guests");
        }
        Path log = consoleLog(dataDir, state.id());
        if (!Files.isRegularFile(log)) {
            return conflict("virtualmachine " + state.id() + " has no console yet: it has not booted (status "
                    + state.phase() + "); start it and try again");
        }
        return HttpResponse.create().withStatus(StatusCodes.OK).withEntity(HttpEntities.createChunked(
                ContentTypes.TEXT_PLAIN_UTF8, follow ? ConsoleTail.following(log, POLL) : ConsoleTail.upToNow(log)));
    }

    private static HttpResponse conflict(String message) {
        return ApiResponses.error(StatusCodes.CONFLICT, "NoConsole", message, null);
    }

    private static boolean flag(String value) {
        if (value.equalsIgnoreCase("true") || value.isEmpty()) {
            return true;
        }
        if (value.equalsIgnoreCase("false")) {
            return false;
        }
        throw new InvalidManifestException("follow", "follow=" + value + " is not a boolean: use follow=true or"
                + " follow=false");
    }
}
