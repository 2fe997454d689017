package dev.vireo.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.protocol.api.Json;
import dev.vireo.protocol.vm.Rejection;
import org.apache.pekko.http.javadsl.model.ContentTypes;
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

    static HttpResponse rejected(Rejection r) {
        StatusCode status = switch (r.code()) {
            case NotFound -> StatusCodes.NOT_FOUND;
            case AlreadyExists, IllegalTransition, StaleResourceVersion -> StatusCodes.CONFLICT;
        };
        return error(status, r.code().name(), r.message(), r.field());
    }
}
