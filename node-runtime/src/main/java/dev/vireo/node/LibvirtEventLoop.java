package dev.vireo.node;

import org.libvirt.Connect;
import org.libvirt.Library;
import org.libvirt.LibvirtException;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * libvirt's default event loop, once per JVM: it must be registered before any connection that wants
 * lifecycle events is opened, and something must keep running it. Several agents share it.
 */
final class LibvirtEventLoop {

    /** The test driver's only URI whose state (and event queue) all connections of a process share. */
    static final String SHARED_TEST_DRIVER = "test:///default";

    private static final Logger log = LoggerFactory.getLogger(LibvirtEventLoop.class);
    private static boolean running;
    private static Connect sharedTestDriverKeeper;

    private LibvirtEventLoop() {
    }

    static synchronized void ensureRunning(String uri) throws LibvirtException {
        if (!running) {
            Library.initEventLoop();
            Thread loop = new Thread(LibvirtEventLoop::run, "libvirt-event-loop");
            loop.setDaemon(true);
            loop.start();
            running = true;
        }
        if (SHARED_TEST_DRIVER.equals(uri) && sharedTestDriverKeeper == null) {
            sharedTestDriverKeeper = keepSharedEventQueueFlowing();
        }
    }

    /**
     * libvirt 9.0 races when the last event callback of a driver goes away while an event is queued:
     * the event stays in the queue without a timer, and later events then never arm the timer, so no
     * listener hears anything again. Agents come and go on the shared test driver (tests, several
     * nodes in one JVM), so one listener that never leaves keeps the count above zero. Registering,
     * deregistering and registering it again first empties a queue that is already stuck.
     */
    private static Connect keepSharedEventQueueFlowing() throws LibvirtException {
        Connect keeper = new Connect(SHARED_TEST_DRIVER);
        LifecycleListener ignore = (domain, event) -> 0;
        keeper.addLifecycleListener(ignore);
        keeper.removeLifecycleListener(ignore);
        keeper.addLifecycleListener(ignore);
        return keeper;
    }

    private static void run() {
        try {
            Library.runEventLoop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (LibvirtException e) {
            log.error("libvirt event loop ended: {}; lifecycle events are no longer delivered", e.getMessage(), e);
        }
    }
}
