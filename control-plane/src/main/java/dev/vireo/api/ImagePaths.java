package dev.vireo.api;

import dev.vireo.protocol.api.InvalidManifestException;
import dev.vireo.protocol.node.NodeImages;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.scheduler.NodeView;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Kernels, initrds and disk images come only from the nodes' images directories ({@code vireo node --images}):
 * each node reports what it holds there, and a spec may name only files that some node holds, relative to the
 * images directory or absolute inside it. A path that names nothing there (a {@code ..} out of it, another
 * directory, a file no node has, or one only reachable through a link that leaves the directory, which nodes
 * do not list) is refused with 400 naming the field. The control plane reads no node's disk: the node checks
 * the file again, links followed, where it opens it, and the scheduler places the VM only on a node that holds
 * all of its files.
 */
public final class ImagePaths {

    private static final int LISTED = 12;

    private final Supplier<CompletionStage<List<NodeView>>> nodes;

    public ImagePaths(Supplier<CompletionStage<List<NodeView>>> nodes) {
        this.nodes = nodes;
    }

    /** {@code spec} once checked against the nodes' images; fails with {@link InvalidManifestException}. */
    public CompletionStage<VirtualMachineSpec> checked(VirtualMachineSpec spec) {
        if (spec.imageFiles().isEmpty()) {
            return CompletableFuture.completedFuture(spec);
        }
        return nodes.get().thenApply(known -> {
            check(spec, known);
            return spec;
        });
    }

    /** {@link #checked}, waiting for the answer (for callers on a blocking thread). */
    public VirtualMachineSpec checkedNow(VirtualMachineSpec spec) {
        try {
            return checked(spec).toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | CompletionException e) {
            if (e.getCause() instanceof InvalidManifestException invalid) {
                throw invalid;
            }
            throw new IllegalStateException("the nodes' images could not be looked at: " + e.getCause(), e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the scheduler did not say which images the nodes hold within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** @throws InvalidManifestException naming the first field whose file no node (that is not lost) holds */
    static void check(VirtualMachineSpec spec, List<NodeView> nodes) {
        VirtualMachineSpec.Boot boot = spec.boot();
        if (boot != null) {
            check("spec.boot.kernel", boot.kernel(), nodes);
            check("spec.boot.initrd", boot.initrd(), nodes);
        }
        if (spec.disks() != null) {
            for (int i = 0; i < spec.disks().size(); i++) {
                check("spec.disks[" + i + "].image", spec.disks().get(i).image(), nodes);
            }
        }
    }

    private static void check(String field, String path, List<NodeView> nodes) {
        if (path == null || path.isBlank()) {
            return;
        }
        if (!path.startsWith("/") && NodeImages.relative(null, path).isEmpty()) {
            throw invalid(field, path, "leaves the images directory");
        }
        List<String> holding = new ArrayList<>();
        List<String> offered = new ArrayList<>();
        for (NodeView node : nodes) {
            if ("Lost".equals(node.state()) || node.imagesDirectory() == null) {
                continue;
            }
            NodeImages images = new NodeImages(node.imagesDirectory(), node.images());
            if (images.holds(path)) {
                holding.add(node.name());
            }
            List<String> held = images.files().stream().map(NodeImages.ImageFile::path).limit(LISTED).toList();
            offered.add(node.name() + " (" + node.imagesDirectory() + ") holds " + held
                    + (images.files().size() > LISTED ? " and " + (images.files().size() - LISTED) + " more" : ""));
        }
        if (!holding.isEmpty()) {
            return;
        }
        if (offered.isEmpty()) {
            throw invalid(field, path, "is held by no node: no node with an images directory has registered yet");
        }
        throw invalid(field, path, "is held by no node: " + String.join("; ", offered));
    }

    private static InvalidManifestException invalid(String field, String path, String problem) {
        return new InvalidManifestException(field, field + " " + path + " " + problem + "; kernels, initrds and disk"
                + " images must be files of a node's images directory (vireo node --images DIR), named relative to it"
                + " or absolute inside it (links are followed and must stay inside it)");
    }
}
