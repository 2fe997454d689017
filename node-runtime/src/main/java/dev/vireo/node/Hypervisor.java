package dev.vireo.node;

import dev.vireo.protocol.node.DomainState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.NodeInfo;
import org.libvirt.event.ConnectionCloseReason;
import org.libvirt.event.LifecycleListener;

/**
 * One libvirt connection and the blocking calls the agent makes on it. Every method blocks: call
 * them only from the agent's libvirt pool, never from the actor's thread.
 */
final class Hypervisor {

    /** A domain that carries Vireo's metadata, with its state when it was looked at. */
    record VireoDomain(Domain domain, String name, VireoMetadata meta, String uuid, DomainState state) {
    }

    private final Connect connect;
    private final HypervisorKind kind;
    private final String uri;
    private final Virtualization virtualization;

    private Hypervisor(Connect connect, HypervisorKind kind, String uri, Virtualization virtualization) {
        this.connect = connect;
        this.kind = kind;
        this.uri = uri;
        this.virtualization = virtualization;
    }

    /** Opens the connection; for QEMU this also decides KVM or TCG (once per URI, see {@link KvmProbe}). */
    static Hypervisor open(String uri, String nodeName, Path dataDirectory) throws LibvirtException {
        HypervisorKind kind = HypervisorKind.fromUri(uri);
        LibvirtErrorLog.install();
        LibvirtEventLoop.ensureRunning(uri);
        Connect connect = new Connect(uri);
        Virtualization virtualization = kind == HypervisorKind.TEST ? Virtualization.TEST
                : KvmProbe.decide(connect, uri, nodeName, dataDirectory);
        return new Hypervisor(connect, kind, uri, virtualization);
    }

    Virtualization virtualization() {
        return virtualization;
    }

    /**
     * Tells {@code onClose} why, when libvirt closes this connection by itself (the daemon went away, the
     * keepalive timed out); closing it ourselves is not reported.
     */
    void onClose(Consumer<String> onClose) throws LibvirtException {
        connect.registerCloseListener((closed, reason) -> {
            if (reason != ConnectionCloseReason.CLIENT) {
                onClose.accept(String.valueOf(reason));
            }
        });
    }

    /** A cheap round trip to the daemon: throws when it does not answer. */
    void ping() throws LibvirtException {
        if (!connect.isAlive()) {
            throw new IllegalStateException("the connection to " + uri + " is closed");
        }
        connect.getLibVirVersion();
    }

    String uri() {
        return uri;
    }

    /**
     * Which hypervisor host this is: libvirt's host UUID (each daemon of deploy/libvirt-node.sh has its own)
     * with the URI. The test driver's domains live in this JVM only, so its host is this JVM.
     */
    String hostId() throws LibvirtException {
        if (kind == HypervisorKind.TEST) {
            return "test:" + TEST_HOST;
        }
        java.util.regex.Matcher m = HOST_UUID.matcher(connect.getCapabilities());
        return (m.find() ? m.group(1) : "unknown") + "@" + uri;
    }

    private static final String TEST_HOST = java.util.UUID.randomUUID().toString();
    private static final java.util.regex.Pattern HOST_UUID =
            java.util.regex.Pattern.compile("<host>\\s*<uuid>([^<]+)</uuid>");

    NodeInfo nodeInfo() throws LibvirtException {
        return connect.nodeInfo();
    }

    void addLifecycleListener(LifecycleListener listener) throws LibvirtException {
        connect.addLifecycleListener(listener);
    }

    /** Stops listening and closes the connection; errors do not matter, the connection is being given up. */
    void closeQuietly(LifecycleListener listener) {
        try {
            connect.unregisterCloseListener();
        } catch (LibvirtException | RuntimeException e) {
            // none registered, or the connection is already broken
        }
        try {
            connect.removeLifecycleListener(listener);
        } catch (LibvirtException | RuntimeException e) {
            // not registered, or the connection is already broken
        }
        try {
            connect.close();
        } catch (LibvirtException e) {
            // closing a broken connection fails; it is gone either way
        }
    }

    Optional<Domain> lookup(String domainName) throws LibvirtException {
        return ifStillThere(() -> connect.domainLookupByName(domainName));
    }

    /** The domain of that name if it is Vireo's; a foreign domain of the same name is reported as such. */
    Lookup lookupVireo(String domainName) throws LibvirtException {
        Optional<Domain> found = lookup(domainName);
        if (found.isEmpty()) {
            return Lookup.MISSING;
        }
        Optional<VireoDomain> vireo = describe(found.get());
        return vireo.map(Lookup::of).orElse(Lookup.FOREIGN);
    }

    /** All of Vireo's domains, running and defined-but-stopped; other domains are not looked at twice. */
    List<VireoDomain> vireoDomains() throws LibvirtException {
        List<VireoDomain> vireo = new ArrayList<>();
        for (int id : connect.listDomains()) {
            ifStillThere(() -> describe(connect.domainLookupByID(id))).flatMap(d -> d).ifPresent(vireo::add);
        }
        for (String name : connect.listDefinedDomains()) {
            ifStillThere(() -> describe(connect.domainLookupByName(name))).flatMap(d -> d).ifPresent(vireo::add);
        }
        return vireo;
    }

    private interface LibvirtCall<T> {
        T call() throws LibvirtException;
    }

    /** Runs a call on a listed domain; empty if the domain went away since it was listed. */
    private static <T> Optional<T> ifStillThere(LibvirtCall<T> call) throws LibvirtException {
        try {
            return Optional.of(call.call());
        } catch (LibvirtException e) {
            if (e.getError().getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                return Optional.empty();
            }
            throw e;
        }
    }

    Optional<VireoDomain> describe(Domain domain) throws LibvirtException {
        Optional<VireoMetadata> meta = DomainXml.metadata(domain.getXMLDesc(0));
        if (meta.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new VireoDomain(domain, domain.getName(), meta.get(), domain.getUUIDString(), state(domain)));
    }

    /** libvirt's state of a domain in the words of {@code NodeReport.DomainFound}. */
    static DomainState stateOf(DomainInfo.DomainState libvirt) {
        return switch (libvirt) {
            // SHUTDOWN means "being shut down": the guest still runs until it reaches SHUTOFF.
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED, VIR_DOMAIN_SHUTDOWN -> DomainState.Running;
            case VIR_DOMAIN_PAUSED -> DomainState.Paused;
            case VIR_DOMAIN_SHUTOFF, VIR_DOMAIN_CRASHED, VIR_DOMAIN_NOSTATE -> DomainState.Stopped;
        };
    }

    DomainState state(Domain domain) throws LibvirtException {
        return stateOf(domain.getInfo().state);
    }

    Domain define(String xml) throws LibvirtException {
        return connect.domainDefineXML(xml);
    }

    /**
     * Starts a domain again from the state {@code virDomainSave} wrote to {@code file}; with {@code xml}, as that
     * XML says (the same guest, e.g. with other metadata). Returns the domain, which runs (or is paused) as saved.
     */
    Domain restoreSaved(java.nio.file.Path file, String xml, String name) throws LibvirtException {
        if (xml == null) {
            connect.restore(file.toString());
        } else {
            LibvirtSave.restore(connect, file.toString(), xml);
        }
        return connect.domainLookupByName(name);
    }

    /** What a lookup by name found: nothing, a domain Vireo did not create, or a Vireo domain. */
    record Lookup(VireoDomain vireo, boolean foreign) {
        static final Lookup MISSING = new Lookup(null, false);
        static final Lookup FOREIGN = new Lookup(null, true);

        static Lookup of(VireoDomain vireo) {
            return new Lookup(vireo, false);
        }
    }
}
