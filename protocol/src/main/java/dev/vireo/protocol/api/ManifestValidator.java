package dev.vireo.protocol.api;

import dev.vireo.protocol.vm.Quantity;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** Checks a manifest against the rules of the API; the first problem found is reported with its field. */
public final class ManifestValidator {

    private static final Pattern DNS1123_LABEL = Pattern.compile("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$");
    private static final long MIN_MEMORY = 1L << 20;
    /** 64Ti: more than any one host holds today, far below what a long holds (7Ei would pass that). */
    public static final long MAX_MEMORY = 64L << 40;
    private static final int MAX_CORES = 1024;

    private ManifestValidator() {
    }

    /**
     * Validates {@code m} posted to {@code namespace} (and, for a replace, to {@code urlName}; null on create)
     * and returns its spec with defaults filled in.
     */
    public static VirtualMachineSpec validate(VirtualMachineManifest m, String namespace, String urlName) {
        if (!VirtualMachineManifest.API_VERSION.equals(m.apiVersion())) {
            throw new InvalidManifestException("apiVersion", "apiVersion must be \"" + VirtualMachineManifest.API_VERSION
                    + "\", got " + quoted(m.apiVersion()));
        }
        if (!VirtualMachineManifest.KIND.equals(m.kind())) {
            throw new InvalidManifestException("kind", "kind must be \"" + VirtualMachineManifest.KIND + "\", got "
                    + quoted(m.kind()));
        }
        if (m.metadata() == null) {
            throw new InvalidManifestException("metadata", "metadata is required (with at least a name)");
        }
        checkName("metadata.name", m.metadata().name());
        if (m.metadata().namespace() != null && !m.metadata().namespace().equals(namespace)) {
            throw new InvalidManifestException("metadata.namespace", "metadata.namespace \"" + m.metadata().namespace()
                    + "\" does not match the namespace in the URL \"" + namespace + "\"");
        }
        if (urlName != null && !urlName.equals(m.metadata().name())) {
            throw new InvalidManifestException("metadata.name", "metadata.name \"" + m.metadata().name()
                    + "\" does not match the name in the URL \"" + urlName + "\"");
        }
        checkLabels(m.metadata().labels());
        if (m.spec() == null) {
            throw new InvalidManifestException("spec", "spec is required");
        }
        return validate(m.spec());
    }

    public static VirtualMachineSpec validate(VirtualMachineSpec spec) {
        if (spec.cpu() != null && (spec.cpu().cores() < 1 || spec.cpu().cores() > MAX_CORES)) {
            throw new InvalidManifestException("spec.cpu.cores", "spec.cpu.cores must be between 1 and " + MAX_CORES
                    + ", got " + spec.cpu().cores());
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
        if (spec.terminationGracePeriodSeconds() != null && spec.terminationGracePeriodSeconds() < 0) {
            throw new InvalidManifestException("spec.terminationGracePeriodSeconds",
                    "spec.terminationGracePeriodSeconds must not be negative");
        }
        if (spec.boot() != null && (spec.boot().kernel() == null || spec.boot().kernel().isBlank())) {
            throw new InvalidManifestException("spec.boot.kernel", "spec.boot.kernel is required when spec.boot is set");
        }
        if (spec.disks() != null) {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < spec.disks().size(); i++) {
                VirtualMachineSpec.Disk disk = spec.disks().get(i);
                String at = "spec.disks[" + i + "]";
                if (disk == null) {
                    throw new InvalidManifestException(at, at + " must not be empty");
                }
                checkName(at + ".name", disk.name());
                if (!names.add(disk.name())) {
                    throw new InvalidManifestException(at + ".name", "disk name \"" + disk.name() + "\" is used twice");
                }
                if (disk.image() == null || disk.image().isBlank()) {
                    throw new InvalidManifestException(at + ".image", at + ".image is required");
                }
            }
        }
        if (spec.nodeSelector() != null) {
            spec.nodeSelector().forEach((k, v) -> {
                if (k == null || k.isBlank() || v == null) {
                    throw new InvalidManifestException("spec.nodeSelector", "spec.nodeSelector needs keys and values");
                }
            });
        }
        return spec.withDefaults();
    }

    /** A namespace or name: a DNS-1123 label. */
    public static void checkName(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidManifestException(field, field + " is required");
        }
        if (value.length() > 63 || !DNS1123_LABEL.matcher(value).matches()) {
            throw new InvalidManifestException(field, field + " \"" + value + "\" is not a DNS-1123 label: at most 63"
                    + " lower-case letters, digits and '-', starting and ending with a letter or digit");
        }
    }

    private static void checkLabels(Map<String, String> labels) {
        if (labels == null) {
            return;
        }
        labels.forEach((k, v) -> {
            if (k == null || k.isEmpty() || k.length() > 253) {
                throw new InvalidManifestException("metadata.labels", "label keys must be 1 to 253 characters");
            }
            if (v != null && v.length() > 63) {
                throw new InvalidManifestException("metadata.labels." + k, "label values must be at most 63 characters");
            }
        });
    }

    private static String quoted(String s) {
        return s == null ? "nothing" : "\"" + s + "\"";
    }
}
