package dev.vireo.node;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.PointerType;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;

/** {@code virDomainRestoreFlags}, which libvirt-java 0.5.2 lacks: a saved guest restored under another domain XML. */
final class LibvirtSave {

    private interface Virt extends Library {
        Virt LIB = Native.load("virt", Virt.class);

        int virDomainRestoreFlags(PointerType conn, String from, String dxml, int flags);

        String virGetLastErrorMessage();
    }

    private LibvirtSave() {
    }

    static void restore(Connect connect, String file, String xml) throws LibvirtException {
        if (Virt.LIB.virDomainRestoreFlags(LibvirtMigrate.pointer(connect, "vcp"), file, xml, 0) < 0) {
            throw new IllegalStateException("restore of " + file + " failed: " + Virt.LIB.virGetLastErrorMessage());
        }
    }
}
