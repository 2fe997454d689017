package dev.vireo.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.vm.Rejection;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/** JSON responses and the error shape {@code {"code","message","field"}}. */
final class ApiResponses {

    private ApiResponses() {
    }

    static HttpResponse json(StatusCode status, Object body) {
        try {
            return HttpResponse.create().withStatus(status)
                    .withEntity(ContentTypes.APPLICATION_JSON, Json.mapper().writeValueAsBytes(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render response: " + e.getMessage(), e);
        }
    }

    static HttpResponse error(StatusCode status, String code, String message, String field) {
        ObjectNode body = Json.mapper().createObjectNode();
        body.put("code", code);
        body.put("message", message);
        if (field != null) {
            body.put("field", field);
        } else {
            body.putNull("field");
        }
        return json(status, body);
    }

    /** A body over the limit (pekko.http.server.parsing.max-content-length): 413 saying the limit. */
    static HttpResponse tooLarge(EntityStreamSizeException e) {
        return error(StatusCodes.PAYLOAD_TOO_LARGE, JsonParsingErrors.codeOf(413), "the request body is larger than"
                + " the " + e.limit() + " bytes a request may carry", null);
    }

    /** A request pekko-http refused while routing it (a malformed header or query, say), in the error shape. */
    static HttpResponse illegal(IllegalRequestException e) {
        int status = e.status().intValue();
        return error(StatusCodes.get(status), JsonParsingErrors.codeOf(status), e.info().formatPretty(), null);
    }

    /** A body that breaks its own framing (a bad chunk, say): 400. */
    static HttpResponse malformedBody(EntityStreamException e) {
        return error(StatusCodes.BAD_REQUEST, "BadRequest", "the request body is malformed: " + e.info().formatPretty(),
                null);
    }

    /**
     * A response of pekko-http's own rejection handler (plain text) in the error shape, its text as the message;
     * responses without an error status or already JSON pass unchanged.
     */
    static HttpResponse inErrorShape(HttpResponse response) {
        int status = response.status().intValue();
        if (status < 400 || response.entity().getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
            return response;
        }
        String text = response.entity() instanceof HttpEntity.Strict strict ? strict.getData().utf8String()
                : response.status().reason();
        HttpResponse error = error(response.status(), JsonParsingErrors.codeOf(status), text.strip(), null);
        return error.withHeaders(response.getHeaders());
    }

    static HttpResponse rejected(Rejection r) {
        StatusCode status = switch (r.code()) {
            case NotFound -> StatusCodes.NOT_FOUND;
            case AlreadyExists, IllegalTransition, StaleResourceVersion -> StatusCodes.CONFLICT;
        };
        return error(status, r.code().name(), r.message(), r.field());
    }
}
