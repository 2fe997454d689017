package dev.vireo.auth;

import dev.vireo.protocol.auth.User;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tickets for a browser's EventSource, which cannot send a header: one stream each, within {@code ttl}, for
 * the user that asked with its token (kept, so that the stream closes once that token is revoked). A ticket
 * is not a token: it opens one event stream and nothing else.
 */
public final class StreamTickets {

    /** Who a ticket was issued to, with the {@code Authorization} it was asked with. */
    public record Ticket(User user, String credential, Instant expires) {
    }

    private final Duration ttl;
    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private final ConcurrentHashMap<String, Ticket> issued = new ConcurrentHashMap<>();

    public StreamTickets(Duration ttl, Clock clock) {
        this.ttl = ttl;
        this.clock = clock;
    }

    public Duration ttl() {
        return ttl;
    }

    /** A new ticket for {@code user}; returns its value and when it expires. */
    public Issued issue(User user, String credential) {
        Instant now = clock.instant();
        issued.values().removeIf(t -> t.expires().isBefore(now));
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        String value = HexFormat.of().formatHex(bytes);
        Instant expires = now.plus(ttl);
        issued.put(value, new Ticket(user, credential, expires));
        return new Issued(value, expires);
    }

    public record Issued(String ticket, Instant expires) {
    }

    /** The ticket's holder, once: a ticket redeemed, unknown or expired is empty. */
    public Optional<Ticket> redeem(String ticket) {
        Ticket t = ticket == null ? null : issued.remove(ticket);
        return t == null || t.expires().isBefore(clock.instant()) ? Optional.empty() : Optional.of(t);
    }
}
