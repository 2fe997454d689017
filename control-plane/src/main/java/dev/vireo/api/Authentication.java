package dev.vireo.api;

import dev.vireo.auth.RequestLimits;
import dev.vireo.auth.TokenFile;
import dev.vireo.protocol.auth.User;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * Who is asking: the user of the {@code Authorization: Bearer TOKEN} header, by the token file; anything else
 * is answered 401 with the JSON error body. A token is never taken from the URL (URLs end up in logs and
 * browser histories).
 */
final class Authentication extends AllDirectives {

    private static final String SCHEME = "Bearer ";

    private final TokenFile tokens;
    private final RequestLimits limits;

    Authentication(TokenFile tokens, RequestLimits limits) {
        this.tokens = tokens;
        this.limits = limits;
    }

    RequestLimits limits() {
        return limits;
    }

    /** {@code inner} with the authenticated user, or 401; 429 once the user sends more than its rate. */
    Route authenticated(Function<User, Route> inner) {
        return optionalHeaderValueByName("Authorization", header -> {
            Optional<String> token = header.filter(h -> h.regionMatches(true, 0, SCHEME, 0, SCHEME.length()))
                    .map(h -> h.substring(SCHEME.length()).strip());
            if (token.isEmpty()) {
                return complete(unauthorized(header.isPresent()
                        ? "the Authorization header is not a bearer token: send Authorization: Bearer TOKEN"
                        : "no credentials: send Authorization: Bearer TOKEN (the token file's admin token is in"
                        + " <data>/tokens.csv on a Vireo started without --tokens)"));
            }
            java.util.concurrent.CompletableFuture<Optional<User>> user =
                    tokens.authenticateAsync(token.get()).toCompletableFuture();
            // the token file answers at once; only a token Kubernetes must review waits
            return user.isDone() ? as(user.getNow(Optional.empty()), inner)
                    : onSuccess(user, u -> as(u, inner));
        });
    }

    private Route as(Optional<User> user, Function<User, Route> inner) {
        if (user.isEmpty()) {
            return complete(unauthorized("the bearer token is not valid (unknown, or revoked): ask for a"
                    + " token of the token file"));
        }
        Optional<Duration> wait = limits.request(user.get());
        if (wait.isPresent()) {
            return complete(tooManyRequests(wait.get(), "user " + user.get().name() + " sent more than "
                    + limits.requestsPerSecond() + " requests a second"));
        }
        return inner.apply(user.get());
    }

    /** 429 with {@code Retry-After} (whole seconds, at least 1) and the error body. */
    static HttpResponse tooManyRequests(Duration wait, String why) {
        long seconds = Math.max(1, (wait.toMillis() + 999) / 1000);
        return ApiResponses.error(StatusCodes.TOO_MANY_REQUESTS, "TooManyRequests", why + "; retry after "
                        + seconds + " s", null)
                .addHeader(RawHeader.create("Retry-After", Long.toString(seconds)));
    }

    Optional<User> authenticate(String token) {
        return tokens.authenticate(token);
    }

    static HttpResponse unauthorized(String message) {
        return ApiResponses.error(StatusCodes.UNAUTHORIZED, "Unauthorized", message, "Authorization")
                .addHeader(RawHeader.create("WWW-Authenticate", "Bearer realm=\"vireo\""));
    }
}
