package dev.vireo.node;

/**
 * The node's own view of its lease on running its VMs: until when it may start or resume a domain. The
 * {@link LeaseKeeper} extends it from each grant, counting from the moment it <em>sent</em> the renewal, so
 * the view ends before the control plane's; libvirt steps read it right before they start or resume a
 * domain. Thread-safe.
 *
 * <p>A node that shares its JVM with the control plane ({@code vireo up}) or an agent tested on its own
 * holds an {@link #unlimited} lease: its lease cannot outlive the control plane it lives with.
 */
public final class Lease {

    private final boolean required;
    private volatile long expiresAtNanos;
    private volatile long expiresAtMillis;
    private volatile boolean everGranted;

    private Lease(boolean required) {
        this.required = required;
        long now = System.nanoTime();
        this.expiresAtNanos = now - 1;
        this.expiresAtMillis = 0;
    }

    /** No lease needed: the node may always run its domains. */
    public static Lease unlimited() {
        return new Lease(false);
    }

    /** A lease the control plane must grant and the node must keep renewing; not granted yet. */
    public static Lease required() {
        return new Lease(true);
    }

    public boolean isRequired() {
        return required;
    }

    /** Whether the node may run its domains now. */
    public boolean valid() {
        return !required || (everGranted && System.nanoTime() - expiresAtNanos < 0);
    }

    /** The expiry as wall-clock milliseconds (what the watchdog compares with); 0 before the first grant. */
    public long expiresAtMillis() {
        return expiresAtMillis;
    }

    /** The milliseconds left (negative once expired). */
    public long remainingMillis() {
        return (expiresAtNanos - System.nanoTime()) / 1_000_000;
    }

    /**
     * Extends the lease to {@code sentNanos + ttl}, the renewal having been sent at {@code sentNanos}
     * ({@code sentMillis} on the wall clock). Never shortens it: answers may arrive out of order.
     *
     * @return true when the lease was not valid before this grant
     */
    synchronized boolean extend(long sentNanos, long sentMillis, long ttlMillis) {
        boolean wasValid = valid();
        long until = sentNanos + ttlMillis * 1_000_000;
        if (!everGranted || until - expiresAtNanos > 0) {
            expiresAtNanos = until;
            expiresAtMillis = sentMillis + ttlMillis;
        }
        everGranted = true;
        return !wasValid;
    }

    /** Ends the lease now (the control plane refused to renew it). */
    synchronized void revoke() {
        expiresAtNanos = System.nanoTime() - 1;
        expiresAtMillis = Math.min(expiresAtMillis, System.currentTimeMillis());
    }
}
