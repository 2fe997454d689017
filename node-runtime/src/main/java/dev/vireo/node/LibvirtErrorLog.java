package dev.vireo.node;

import com.sun.jna.Pointer;
import org.libvirt.Connect;
import org.libvirt.Error;
import org.libvirt.LibvirtException;
import org.libvirt.jna.Libvirt;
import org.libvirt.jna.virError;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where libvirt's own error reports go, once per JVM. Left alone, libvirt prints every error to stderr,
 * even a lookup's "Domain not found" that the agent expects (is the domain still there?). The caller
 * gets each error as a {@link LibvirtException} anyway; the printout goes to the log instead: expected
 * misses at debug, anything else at warn.
 */
final class LibvirtErrorLog {

    static final String LOGGER = "libvirt";

    private static final Logger log = LoggerFactory.getLogger(LOGGER);
    /** Held here for good: JNA keeps only a weak reference to a callback handed to native code. */
    private static final Libvirt.VirErrorCallback TO_LOG = LibvirtErrorLog::report;
    private static boolean installed;

    private LibvirtErrorLog() {
    }

    static synchronized void install() throws LibvirtException {
        if (!installed) {
            Connect.setErrorCallback(TO_LOG);
            installed = true;
        }
    }

    private static void report(Pointer userData, virError raw) {
        try {
            Error error = new Error(raw);
            if (error.getCode() == Error.ErrorNumber.VIR_ERR_NO_DOMAIN) {
                log.debug("libvirt {}: {}", error.getDomain(), error.getMessage());
            } else {
                log.warn("libvirt {}: {} ({})", error.getDomain(), error.getMessage(), error.getCode());
            }
        } catch (RuntimeException e) {
            // never throw into libvirt's native caller
            log.warn("libvirt reported an error that could not be read: {}", e.toString());
        }
    }
}
