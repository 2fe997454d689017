package dev.vireo.protocol.vm;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * The desired VM, as in the manifest's {@code spec}. Validated by {@link ManifestValidator};
 * {@code memory} keeps the user's quantity text, {@link #memoryBytes()} its value.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record VirtualMachineSpec(
        RunStrategy runStrategy,
        Cpu cpu,
        String memory,
        Boot boot,
        List<Disk> disks,
        Map<String, String> nodeSelector,
        EvictionStrategy evictionStrategy,
        Integer terminationGracePeriodSeconds) {

    public static final int DEFAULT_GRACE_PERIOD_SECONDS = 30;

    public record Cpu(int cores) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Boot(String kernel, String initrd, String cmdline) {
    }

    public record Disk(String name, String image) {
    }

    public enum EvictionStrategy { None, LiveMigrate }

    /** Fills in defaults so that stored specs are complete. */
    public VirtualMachineSpec withDefaults() {
        return new VirtualMachineSpec(
                runStrategy == null ? RunStrategy.Halted : runStrategy,
                cpu == null ? new Cpu(1) : cpu,
                memory == null ? "128Mi" : memory,
                boot,
                disks == null ? List.of() : List.copyOf(disks),
                nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector),
                evictionStrategy == null ? EvictionStrategy.None : evictionStrategy,
                terminationGracePeriodSeconds == null ? DEFAULT_GRACE_PERIOD_SECONDS : terminationGracePeriodSeconds);
    }

    public VirtualMachineSpec withRunStrategy(RunStrategy strategy) {
        return new VirtualMachineSpec(strategy, cpu, memory, boot, disks, nodeSelector, evictionStrategy,
                terminationGracePeriodSeconds);
    }

    /** The memory in bytes; read as a journal may hold it (see {@link Quantity#parseStoredBytes}). */
    public long memoryBytes() {
        return Quantity.parseStoredBytes(memory);
    }

    public int cores() {
        return cpu == null ? 1 : cpu.cores();
    }

    /** The files of the images directory the VM boots from: kernel, initrd and disk images, as the spec names them. */
    public List<String> imageFiles() {
        List<String> files = new java.util.ArrayList<>();
        if (boot != null) {
            if (boot.kernel() != null && !boot.kernel().isBlank()) {
                files.add(boot.kernel());
            }
            if (boot.initrd() != null && !boot.initrd().isBlank()) {
                files.add(boot.initrd());
            }
        }
        if (disks != null) {
            disks.stream().map(Disk::image).filter(i -> i != null && !i.isBlank()).forEach(files::add);
        }
        return List.copyOf(files);
    }

    public int gracePeriodSeconds() {
        return terminationGracePeriodSeconds == null ? DEFAULT_GRACE_PERIOD_SECONDS : terminationGracePeriodSeconds;
    }
}
