package dev.vireo.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.UncheckedIOException;

/** The two ways the CLI reads and prints documents. */
final class Formats {
    static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    static final YAMLMapper YAML = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .build());

    private Formats() {
    }

    static String json(JsonNode node) {
        try {
            return JSON.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** One line, for request bodies. */
    static String compact(JsonNode node) {
        return node.toString();
    }

    static String yaml(JsonNode node) {
        try {
            return YAML.writeValueAsString(node).stripTrailing();
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String render(JsonNode node, OutputFormat format) {
        return format == OutputFormat.yaml ? yaml(node) : json(node);
    }

    /** Text of a field, or null when absent, null or empty. */
    static String text(JsonNode node, String... path) {
        JsonNode at = node;
        for (String step : path) {
            if (at == null) {
                return null;
            }
            at = at.get(step);
        }
        if (at == null || at.isNull() || at.isMissingNode()) {
            return null;
        }
        String text = at.isValueNode() ? at.asText() : at.toString();
        return text.isEmpty() ? null : text;
    }
}
