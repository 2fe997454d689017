package dev.vireo;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** How a launcher runs its part of Vireo: started, then in the foreground until SIGTERM or Ctrl-C stops it. */
final class Foreground {

    private Foreground() {
    }

    /**
     * Starts {@code what} and runs until the JVM is asked to stop, then closes it.
     *
     * @return the exit code: 0 after a clean stop, 1 when it could not start (said on stderr)
     */
    static int run(String what, Callable<? extends AutoCloseable> start) throws InterruptedException {
        AutoCloseable running;
        try {
            running = start.call();
        } catch (Exception e) {
            System.err.println("error: " + what + " could not start: " + rootMessage(e));
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                running.close();
            } catch (Exception e) {
                System.err.println("warning: " + what + " did not stop cleanly: " + e);
            }
            stopped.countDown();
        }, "vireo-shutdown"));
        stopped.await();
        return 0;
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }
}
