package dev.vireo.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides KVM or TCG for a QEMU node. {@code /dev/kvm} existing is not enough: on nested machines KVM
 * guests hang or QEMU may not open the device. Only hardware KVM (kvm_intel, kvm_amd) is tried, and
 * only when the device is open to the unprivileged user libvirt runs QEMU as; then a tiny transient
 * {@code type='kvm'} domain without disks boots SeaBIOS with its output on a logged serial port; if BIOS
 * text appears before the deadline, KVM runs guests (BIOS text alone did not prove it on kvm_pvm). Whatever happens, the probe takes at most {@link #DEADLINE}, and its
 * domain is destroyed (if its start returns late, then; {@code on_reboot=destroy} ends it anyway
 * when SeaBIOS gives up looking for a boot disk).
 */
final class KvmProbe {

    static final Duration DEADLINE = Duration.ofSeconds(8);
    private static final Path DEV_KVM = Path.of("/dev/kvm");
    private static final Logger log = LoggerFactory.getLogger(KvmProbe.class);
    /** Once per libvirt URI and JVM: the answer does not change while the host runs. */
    private static final Map<String, Virtualization> decided = new ConcurrentHashMap<>();

    private KvmProbe() {
    }

    static Virtualization decide(Connect connect, String uri, String nodeName, Path dataDirectory) {
        return decided.computeIfAbsent(uri, u -> probe(connect, nodeName, dataDirectory));
    }

    private static Virtualization probe(Connect connect, String nodeName, Path dataDirectory) {
        if (!Files.exists(DEV_KVM)) {
            log.info("node {}: no {}; guests run under TCG (software emulation)", nodeName, DEV_KVM);
            return Virtualization.TCG;
        }
        if (!Files.isDirectory(Path.of("/sys/module/kvm_intel")) && !Files.isDirectory(Path.of("/sys/module/kvm_amd"))) {
            // Seen here: kvm_pvm (a nested, paravirtual KVM) runs SeaBIOS, then Linux guests hang early in boot.
            log.info("node {}: {} is not backed by kvm_intel or kvm_amd (nested or paravirtual KVM, where Linux "
                    + "guests hang); guests run under TCG", nodeName, DEV_KVM);
            return Virtualization.TCG;
        }
        Set<PosixFilePermission> mode;
        try {
            mode = Files.getPosixFilePermissions(DEV_KVM);
        } catch (IOException e) {
            mode = Set.of();
        }
        if (!mode.containsAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE))
                && !mode.containsAll(Set.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE))) {
            // Seen here: QEMU then waits about a minute before failing, and libvirt starts nothing else meanwhile.
            log.info("node {}: {} is {} ({}), so the unprivileged user libvirt runs QEMU as cannot open it; "
                    + "guests run under TCG", nodeName, DEV_KVM, PosixFilePermissions.toString(mode),
                    "make it group kvm, mode 0660, to try KVM");
            return Virtualization.TCG;
        }
        String name = "vireo-kvm-probe-" + nodeName.replaceAll("[^A-Za-z0-9_.-]", "_");
        Path console = dataDirectory.resolve(name + ".log");
        long started = System.nanoTime();
        try {
            Files.createDirectories(dataDirectory);
            Files.deleteIfExists(console);
        } catch (IOException e) {
            log.warn("node {}: cannot write the KVM probe's log in {} ({}); guests run under TCG", nodeName,
                    dataDirectory, e.getMessage());
            return Virtualization.TCG;
        }
        CompletableFuture<Domain> start = CompletableFuture.supplyAsync(() -> {
            try {
                return connect.domainCreateXML(xml(name, console), 0);
            } catch (LibvirtException e) {
                throw new IllegalStateException(e.getError() != null ? e.getError().getMessage() : e.getMessage(), e);
            }
        }, LibvirtPool.ownThread("kvm-probe-" + nodeName));
        try {
            while (System.nanoTime() - started < DEADLINE.toNanos()) {
                if (start.isCompletedExceptionally()) {
                    log.info("node {}: {} exists but QEMU cannot use it ({}); guests run under TCG", nodeName,
                            DEV_KVM, start.handle((d, e) -> e.getCause() != null ? e.getCause().getMessage() : e.getMessage()).join());
                    return Virtualization.TCG;
                }
                if (Files.exists(console) && Files.size(console) > 0) {
                    log.info("node {}: a KVM guest ran within {} ms; guests run under KVM", nodeName,
                            Duration.ofNanos(System.nanoTime() - started).toMillis());
                    return Virtualization.KVM;
                }
                Thread.sleep(100);
            }
            log.info("node {}: {} exists but a KVM guest made no progress within {} s (nested virtualization?); "
                    + "guests run under TCG", nodeName, DEV_KVM, DEADLINE.toSeconds());
            return Virtualization.TCG;
        } catch (IOException e) {
            log.warn("node {}: KVM probe failed ({}); guests run under TCG", nodeName, e.getMessage());
            return Virtualization.TCG;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Virtualization.TCG;
        } finally {
            start.thenAccept(domain -> destroyQuietly(domain, console));
        }
    }

    private static void destroyQuietly(Domain domain, Path console) {
        try {
            domain.destroy();
        } catch (LibvirtException e) {
            // gone already: on_reboot destroy, or the daemon went away
        }
        try {
            Files.deleteIfExists(console);
        } catch (IOException e) {
            // only a small log left behind
        }
    }

    private static String xml(String name, Path console) {
        return "<domain type='kvm'>"
                + "<name>" + DomainXml.escape(name) + "</name>"
                + "<memory unit='MiB'>16</memory><vcpu>1</vcpu>"
                + "<os><type arch='x86_64' machine='pc'>hvm</type><bios useserial='yes'/></os>"
                + "<on_poweroff>destroy</on_poweroff><on_reboot>destroy</on_reboot><on_crash>destroy</on_crash>"
                + "<devices><serial type='pty'><log file='" + DomainXml.escape(console.toString())
                + "' append='off'/></serial><memballoon model='none'/></devices>"
                + "</domain>";
    }
}
