package dev.vireo.node;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.PointerType;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.lang.reflect.Field;
import java.util.LinkedHashMap;
import java.util.Map;
import org.libvirt.Connect;
import org.libvirt.Domain;

/**
 * The libvirt calls live migration needs that libvirt-java 0.5.2 lacks, straight through JNA:
 * {@code virDomainMigrate3} (typed parameters: the listen address and the disks port of a copy of storage),
 * {@code virDomainGetJobStats} (downtime, dirty rate, iteration) and {@code virDomainMigrateStartPostCopy}. Blocking,
 * like every libvirt call.
 */
final class LibvirtMigrate {

    /** virDomainMigrateFlags. */
    static final int LIVE = 1;
    static final int PERSIST_DEST = 8;
    static final int UNDEFINE_SOURCE = 16;
    static final int NON_SHARED_INC = 128;
    static final int AUTO_CONVERGE = 8192;
    /** VIR_MIGRATE_POSTCOPY: the job may be switched to post-copy ({@link #startPostCopy}). */
    static final int POSTCOPY = 32768;

    /** virDomainGetJobStats: the statistics of the job that completed last. */
    static final int JOB_STATS_COMPLETED = 1;

    private interface Virt extends Library {
        Virt LIB = Native.load("virt", Virt.class);

        int virTypedParamsAddString(PointerByReference params, IntByReference nparams, IntByReference maxparams,
                                    String name, String value);

        int virTypedParamsAddInt(PointerByReference params, IntByReference nparams, IntByReference maxparams,
                                 String name, int value);

        int virTypedParamsAddULLong(PointerByReference params, IntByReference nparams, IntByReference maxparams,
                                    String name, long value);

        int virTypedParamsGetULLong(Pointer params, int nparams, String name, LongByReference value);

        void virTypedParamsFree(Pointer params, int nparams);

        Pointer virDomainMigrate3(PointerType domain, PointerType dconn, Pointer params, int nparams, int flags);

        int virDomainGetJobStats(PointerType domain, IntByReference type, PointerByReference params,
                                 IntByReference nparams, int flags);

        int virDomainGetJobStats(Pointer domain, IntByReference type, PointerByReference params,
                                 IntByReference nparams, int flags);

        int virDomainFree(Pointer domain);

        int virDomainMigrateStartPostCopy(PointerType domain, int flags);

        String virGetLastErrorMessage();
    }

    /** A migration that failed, in libvirt's words. */
    static final class Failed extends Exception {
        Failed(String message) {
            super(message);
        }
    }

    /** Typed parameters for virDomainMigrate3, in the order given. */
    static final class Params {
        final Map<String, Object> values = new LinkedHashMap<>();

        Params put(String name, Object value) {
            if (value != null) {
                values.put(name, value);
            }
            return this;
        }
    }

    private LibvirtMigrate() {
    }

    /**
     * Migrates {@code domain} to the daemon of {@code destination} (managed direct: this process holds both
     * connections); returns once it runs there, with the statistics of the completed job on the destination.
     */
    static Map<String, Long> migrate(Domain domain, Connect destination, Params params, int flags) throws Failed {
        PointerByReference list = new PointerByReference();
        IntByReference count = new IntByReference(0);
        IntByReference max = new IntByReference(0);
        try {
            for (Map.Entry<String, Object> p : params.values.entrySet()) {
                int rc;
                if (p.getValue() instanceof Integer i) {
                    rc = Virt.LIB.virTypedParamsAddInt(list, count, max, p.getKey(), i);
                } else if (p.getValue() instanceof Long l) {
                    rc = Virt.LIB.virTypedParamsAddULLong(list, count, max, p.getKey(), l);
                } else {
                    rc = Virt.LIB.virTypedParamsAddString(list, count, max, p.getKey(), p.getValue().toString());
                }
                if (rc < 0) {
                    throw new Failed("migration parameter " + p.getKey() + ": " + Virt.LIB.virGetLastErrorMessage());
                }
            }
            Pointer moved = Virt.LIB.virDomainMigrate3(pointer(domain, "vdp"), pointer(destination, "vcp"),
                    list.getValue(), count.getValue(), flags);
            if (moved == null) {
                throw new Failed(Virt.LIB.virGetLastErrorMessage());
            }
            try {
                return stats(moved);
            } finally {
                Virt.LIB.virDomainFree(moved);
            }
        } finally {
            if (list.getValue() != null) {
                Virt.LIB.virTypedParamsFree(list.getValue(), count.getValue());
            }
        }
    }

    /**
     * Switches the domain's running migration (started with {@link #POSTCOPY}) to post-copy: the guest resumes on the
     * destination, which fetches the pages it still lacks from the source.
     */
    static void startPostCopy(Domain domain) throws Failed {
        if (Virt.LIB.virDomainMigrateStartPostCopy(pointer(domain, "vdp"), 0) < 0) {
            throw new Failed(Virt.LIB.virGetLastErrorMessage());
        }
    }

    /** The statistics of the domain's running migration job (empty when none runs or libvirt did not answer). */
    static Map<String, Long> runningJob(Domain domain) {
        IntByReference type = new IntByReference();
        PointerByReference list = new PointerByReference();
        IntByReference count = new IntByReference();
        if (Virt.LIB.virDomainGetJobStats(pointer(domain, "vdp"), type, list, count, 0) < 0) {
            return Map.of();
        }
        return read(list, count);
    }

    private static Map<String, Long> stats(Pointer moved) {
        IntByReference type = new IntByReference();
        PointerByReference list = new PointerByReference();
        IntByReference count = new IntByReference();
        if (Virt.LIB.virDomainGetJobStats(moved, type, list, count, JOB_STATS_COMPLETED) < 0) {
            return Map.of();
        }
        return read(list, count);
    }

    private static final String[] STATS = {"time_elapsed", "downtime", "data_total", "data_processed",
            "data_remaining", "memory_dirty_rate", "memory_iteration"};

    private static Map<String, Long> read(PointerByReference list, IntByReference count) {
        Map<String, Long> values = new LinkedHashMap<>();
        try {
            for (String name : STATS) {
                LongByReference value = new LongByReference();
                if (Virt.LIB.virTypedParamsGetULLong(list.getValue(), count.getValue(), name, value) == 1) {
                    values.put(name, value.getValue());
                }
            }
        } finally {
            if (list.getValue() != null) {
                Virt.LIB.virTypedParamsFree(list.getValue(), count.getValue());
            }
        }
        return values;
    }

    /** The native pointer inside a libvirt-java object (its fields are not public). */
    static PointerType pointer(Object owner, String field) {
        try {
            Field f = owner.getClass().getDeclaredField(field);
            f.setAccessible(true);
            return (PointerType) f.get(owner);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("libvirt-java's " + owner.getClass().getSimpleName() + "." + field
                    + " is not where it was in 0.5.2", e);
        }
    }
}
