package dev.vireo.api;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests too malformed to reach the routes (a request line or head the parser refuses: 400, 413, 414, 431,
 * 501 for an unknown method, 505) answered in the API's error shape {@code {"code","message","field"}}
 * instead of pekko-http's plain text. Named in {@code pekko.http.server.parsing.error-handler}.
 */
public final class JsonParsingErrors extends ParsingErrorHandler {

    @Override
    public HttpResponse handle(StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
        log.debug("request refused before routing: {} {}", status.intValue(), info.formatPretty());
        String summary = info.summary() == null || info.summary().isBlank() ? status.reason() : info.summary();
        return ApiResponses.error(StatusCodes.get(status.intValue()), codeOf(status.intValue()), summary, null);
    }

    /** The error code for a status a request can be refused with before it is routed. */
    static String codeOf(int status) {
        return switch (status) {
            case 400 -> "BadRequest";
            case 404 -> "NotFound";
            case 405 -> "MethodNotAllowed";
            case 406 -> "NotAcceptable";
            case 408 -> "RequestTimeout";
            case 411 -> "LengthRequired";
            case 413 -> "PayloadTooLarge";
            case 414 -> "UriTooLong";
            case 415 -> "UnsupportedMediaType";
            case 417 -> "ExpectationFailed";
            case 429 -> "TooManyRequests";
            case 431 -> "RequestHeaderFieldsTooLarge";
            case 501 -> "NotImplemented";
            case 503 -> "Unavailable";
            case 505 -> "HttpVersionNotSupported";
            default -> status >= 500 ? "Internal" : "BadRequest";
        };
    }
}
