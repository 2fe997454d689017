package dev.vireo.node;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;

/** The default hypervisor: real QEMU guests when a libvirt daemon answers, else libvirt's test driver. */
public final class HypervisorChoice {

    public static final String QEMU_SYSTEM = "qemu:///system";
    public static final String TEST = "test:///default";

    private static final Path[] SOCKETS = {Path.of("/run/libvirt/libvirt-sock"), Path.of("/var/run/libvirt/libvirt-sock")};

    private HypervisorChoice() {
    }

    /** {@code requested} when given, else the detected default; {@code why} says what was found. */
    public static Choice pick(String requested) {
        if (requested != null && !requested.isBlank()) {
            return new Choice(requested, "as configured");
        }
        boolean socket = false;
        for (Path p : SOCKETS) {
            socket |= Files.exists(p);
        }
        if (!socket) {
            return new Choice(TEST, "no libvirt daemon socket at /run/libvirt/libvirt-sock");
        }
        try {
            // the first call can wait several seconds while libvirtd probes QEMU
            String version = CompletableFuture.supplyAsync(() -> {
                try {
                    LibvirtErrorLog.install();
                    Connect connect = new Connect(QEMU_SYSTEM, true);
                    try {
                        return Long.toString(connect.getLibVirVersion());
                    } finally {
                        connect.close();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, LibvirtPool.ownThread("hypervisor-choice")).get(20, TimeUnit.SECONDS);
            return new Choice(QEMU_SYSTEM, "the libvirt daemon answered (libvirt " + version + ")");
        } catch (Exception e) {
            return new Choice(TEST, "the libvirt daemon did not answer: " + e.getMessage());
        }
    }

    public record Choice(String uri, String why) {
    }
}
