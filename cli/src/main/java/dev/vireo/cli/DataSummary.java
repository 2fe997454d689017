package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.util.Iterator;
import java.util.Map;
import java.util.StringJoiner;

/** One short line for an event's {@code data}: its plain fields as k=v, nested ones abbreviated. */
final class DataSummary {
    static final int MAX = 60;

    private DataSummary() {
    }

    static String of(JsonNode data) {
        if (data == null || data.isMissingNode() || data.isNull()) {
            return "";
        }
        if (!data.isObject()) {
            return cut(data.isValueNode() ? data.asText() : data.toString());
        }
        StringJoiner line = new StringJoiner(" ");
        for (Iterator<Map.Entry<String, JsonNode>> fields = data.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            JsonNode value = field.getValue();
            if (value.isNull()) {
                continue;
            }
            String shown;
            if (value.isObject()) {
                shown = value.isEmpty() ? "{}" : "{…}";
            } else if (value.isArray()) {
                shown = "[" + value.size() + "]";
            } else {
                shown = value.asText();
                if (shown.contains(" ")) {
                    shown = "\"" + shown + "\"";
                }
            }
            line.add(field.getKey() + "=" + shown);
        }
        return cut(line.toString());
    }

    static JsonNode parse(String json) {
        try {
            return json == null ? MissingNode.getInstance() : Formats.JSON.readTree(json);
        } catch (IOException e) {
            return MissingNode.getInstance();
        }
    }

    private static String cut(String text) {
        return text.length() <= MAX ? text : text.substring(0, MAX - 1) + "…";
    }
}
