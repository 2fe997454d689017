package dev.vireo.protocol.api;

import dev.vireo.protocol.vm.Quantity;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmState;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a manifest against the rules of the API, every field bounded ({@link Limits}); the first problem found
 * is reported with its field. What passes is stored as it is: nothing is dropped or truncated silently.
 */
public final class ManifestValidator {

    private static final Pattern DNS1123_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static final long MIN_MEMORY = 1L << 20;
    /** 64Ti: more than any one host holds today, far below what a long holds (7Ei would pass that). */
    public static final long MAX_MEMORY = 64L << 40;

    private ManifestValidator() {
    }

    /**
     * Validates {@code m} posted to {@code namespace} (and, for a replace, to {@code urlName}; null on create)
     * and returns its spec with defaults filled in. The metadata Vireo sets is checked against the VM by
     * {@link #checkSetByVireo}.
     */
    public static VirtualMachineSpec validate(VirtualMachineManifest m, String namespace, String urlName) {
        if (!VirtualMachineManifest.API_VERSION.equals(m.apiVersion())) {
            throw new InvalidManifestException("apiVersion", "apiVersion must be \"" + VirtualMachineManifest.API_VERSION
                    + "\", got " + Limits.shown(m.apiVersion()));
        }
        if (!VirtualMachineManifest.KIND.equals(m.kind())) {
            throw new InvalidManifestException("kind", "kind must be \"" + VirtualMachineManifest.KIND + "\", got "
                    + Limits.shown(m.kind()));
        }
        if (m.metadata() == null) {
            throw new InvalidManifestException("metadata", "metadata is required (with at least a name)");
        }
        checkName("metadata.name", m.metadata().name());
        if (m.metadata().namespace() != null && !m.metadata().namespace().equals(namespace)) {
            throw new InvalidManifestException("metadata.namespace", "metadata.namespace "
                    + Limits.shown(m.metadata().namespace()) + " does not match the namespace in the URL \"" + namespace
                    + "\"");
        }
        if (urlName != null && !urlName.equals(m.metadata().name())) {
            throw new InvalidManifestException("metadata.name", "metadata.name \"" + m.metadata().name()
                    + "\" does not match the name in the URL " + Limits.shown(urlName));
        }
        checkLabels("metadata.labels", m.metadata().labels(), Limits.MAX_LABELS);
        if (m.metadata().annotations() != null && !m.metadata().annotations().isEmpty()) {
            throw new InvalidManifestException("metadata.annotations", "Vireo does not keep annotations; leave"
                    + " metadata.annotations out rather than have them dropped");
        }
        if (m.spec() == null) {
            throw new InvalidManifestException("spec", "spec is required");
        }
        return validate(m.spec());
    }

    /**
     * The metadata Vireo sets ({@code uid}, {@code generation}, {@code creationTimestamp}, {@code resourceVersion})
     * may come back in a manifest that was read from Vireo, but only as the VM has them: they are never set by a
     * client, so a create carries none of them and a replace carries them unchanged ({@code resourceVersion}, a
     * precondition, is the entity's to check).
     */
    public static void checkSetByVireo(ObjectMeta given, VmState current) {
        if (!current.exists()) {
            for (var field : List.of(Map.entry("uid", Objects.toString(given.uid(), "")),
                    Map.entry("generation", Objects.toString(given.generation(), "")),
                    Map.entry("creationTimestamp", Objects.toString(given.creationTimestamp(), "")),
                    Map.entry("resourceVersion", Objects.toString(given.resourceVersion(), "")))) {
                if (!field.getValue().isEmpty()) {
                    throw new InvalidManifestException("metadata." + field.getKey(), "metadata." + field.getKey()
                            + " is set by Vireo when it creates a VM; leave it out of a new VM's manifest");
                }
            }
            return;
        }
        same("metadata.uid", given.uid(), current.uid());
        same("metadata.generation", given.generation(), current.generation());
        same("metadata.creationTimestamp", given.creationTimestamp(),
                current.creationTimestamp() == null ? null : current.creationTimestamp().toString());
    }

    private static void same(String field, Object given, Object current) {
        if (given != null && !given.equals(current)) {
            throw new InvalidManifestException(field, field + " is set by Vireo and is " + current + " for this VM, not "
                    + Limits.shown(String.valueOf(given)) + "; leave it out (or it names another VM of this name)");
        }
    }

    /** Has the manifest any of the metadata only Vireo sets? */
    public static boolean carriesSetByVireo(ObjectMeta meta) {
        return meta != null && (meta.uid() != null || meta.generation() != null || meta.creationTimestamp() != null
                || meta.resourceVersion() != null);
    }

    public static VirtualMachineSpec validate(VirtualMachineSpec spec) {
        if (spec.cpu() != null && (spec.cpu().cores() < 1 || spec.cpu().cores() > Limits.MAX_CORES)) {
            throw new InvalidManifestException("spec.cpu.cores", "spec.cpu.cores must be between 1 and "
                    + Limits.MAX_CORES + ", got " + spec.cpu().cores());
        }
        if (spec.memory() != null) {
            long bytes;
            try {
                bytes = Quantity.parseBytes(spec.memory());
            } catch (IllegalArgumentException e) {
                throw new InvalidManifestException("spec.memory", "spec.memory: " + e.getMessage());
            }
            if (bytes < MIN_MEMORY || bytes > MAX_MEMORY) {
                throw new InvalidManifestException("spec.memory", "spec.memory must be from 1Mi to 64Ti, got "
                        + spec.memory());
            }
        }
        Integer grace = spec.terminationGracePeriodSeconds();
        if (grace != null && (grace < 0 || grace > Limits.MAX_GRACE_PERIOD_SECONDS)) {
            throw new InvalidManifestException("spec.terminationGracePeriodSeconds",
                    "spec.terminationGracePeriodSeconds must be from 0 to " + Limits.MAX_GRACE_PERIOD_SECONDS
                            + " (a day), got " + grace);
        }
        if (spec.boot() != null) {
            if (spec.boot().kernel() == null || spec.boot().kernel().isBlank()) {
                throw new InvalidManifestException("spec.boot.kernel", "spec.boot.kernel is required when spec.boot is set");
            }
            checkPath("spec.boot.kernel", spec.boot().kernel());
            if (spec.boot().initrd() != null) {
                checkPath("spec.boot.initrd", spec.boot().initrd());
            }
            checkText("spec.boot.cmdline", spec.boot().cmdline(), Limits.MAX_CMDLINE);
        }
        if (spec.disks() != null) {
            if (spec.disks().size() > Limits.MAX_DISKS) {
                throw new InvalidManifestException("spec.disks", "spec.disks has " + spec.disks().size()
                        + " disks; at most " + Limits.MAX_DISKS);
            }
            Set<String> names = new HashSet<>();
            for (int i = 0; i < spec.disks().size(); i++) {
                VirtualMachineSpec.Disk disk = spec.disks().get(i);
                String at = "spec.disks[" + i + "]";
                if (disk == null) {
                    throw new InvalidManifestException(at, at + " is null; give a disk or leave the entry out");
                }
                checkName(at + ".name", disk.name());
                if (!names.add(disk.name())) {
                    throw new InvalidManifestException(at + ".name", "disk name \"" + disk.name() + "\" is used twice");
                }
                if (disk.image() == null || disk.image().isBlank()) {
                    throw new InvalidManifestException(at + ".image", at + ".image is required");
                }
                checkPath(at + ".image", disk.image());
            }
        }
        checkLabels("spec.nodeSelector", spec.nodeSelector(), Limits.MAX_NODE_SELECTOR);
        return spec.withDefaults();
    }

    /** A namespace or name: a DNS-1123 label. */
    public static void checkName(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidManifestException(field, field + " is required");
        }
        if (value.length() > Limits.MAX_NAME || !DNS1123_LABEL.matcher(value).matches()) {
            throw new InvalidManifestException(field, field + " " + Limits.shown(value) + " is not a DNS-1123 label:"
                    + " at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit");
        }
    }

    /** Labels, or a node selector (which matches node labels): Kubernetes' label syntax, and at most {@code max}. */
    private static void checkLabels(String field, Map<String, String> labels, int max) {
        if (labels == null) {
            return;
        }
        if (labels.size() > max) {
            throw new InvalidManifestException(field, field + " has " + labels.size() + " entries; at most " + max);
        }
        labels.forEach((k, v) -> {
            String keyProblem = LabelSyntax.keyProblem(k);
            if (keyProblem != null) {
                throw new InvalidManifestException(field, field + ": " + keyProblem);
            }
            String valueProblem = LabelSyntax.valueProblem(v);
            if (valueProblem != null) {
                throw new InvalidManifestException(field + "." + k, field + "." + k + ": " + valueProblem);
            }
        });
    }

    private static void checkPath(String field, String path) {
        checkText(field, path, Limits.MAX_PATH);
    }

    /** At most {@code maxBytes} of UTF-8, no control characters (they have no place in a path or command line). */
    private static void checkText(String field, String text, int maxBytes) {
        if (text == null) {
            return;
        }
        if (text.length() > maxBytes || text.getBytes(StandardCharsets.UTF_8).length > maxBytes) {
            throw new InvalidManifestException(field, field + " is " + text.length() + " characters; at most "
                    + maxBytes + " bytes");
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw new InvalidManifestException(field, field + " holds the control character U+"
                        + String.format("%04X", (int) c) + " at " + i + "; only printable characters");
            }
        }
    }
}
