package dev.vireo.cli;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads VirtualMachine manifests from a file or stdin ({@code -}), in JSON or YAML; a YAML file may hold
 * several documents separated by {@code ---}. Checks only what the CLI itself needs (a name, the kind);
 * the server validates the rest.
 */
final class ManifestReader {
    static final String KIND = "VirtualMachine";

    private ManifestReader() {
    }

    static List<ObjectNode> read(String source, InputStream stdin) {
        String text;
        try {
            text = "-".equals(source)
                    ? new String(stdin.readAllBytes(), StandardCharsets.UTF_8)
                    : Files.readString(Path.of(source));
        } catch (NoSuchFileException e) {
            throw failure("cannot read " + source + ": no such file");
        } catch (IOException e) {
            throw failure("cannot read " + source + ": " + e.getMessage());
        }
        return parse(text, "-".equals(source) ? "stdin" : source);
    }

    static List<ObjectNode> parse(String text, String origin) {
        List<ObjectNode> manifests = new ArrayList<>();
        try {
            if (text.stripLeading().startsWith("{")) {
                add(Formats.JSON.readTree(text), origin, manifests);
            } else {
                try (MappingIterator<JsonNode> docs = Formats.YAML.readerFor(JsonNode.class).readValues(text)) {
                    while (docs.hasNextValue()) {
                        add(docs.nextValue(), origin, manifests);
                    }
                }
            }
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw failure(origin + " is not valid JSON or YAML: " + firstLine(e.getOriginalMessage()) + where);
        } catch (IOException e) {
            throw failure("cannot read " + origin + ": " + e.getMessage());
        }
        if (manifests.isEmpty()) {
            throw failure(origin + " holds no manifest: expected a VirtualMachine with metadata.name and spec");
        }
        return manifests;
    }

    private static void add(JsonNode doc, String origin, List<ObjectNode> manifests) {
        if (doc == null || doc.isNull() || doc.isMissingNode() || (doc.isTextual() && doc.asText().isBlank())) {
            return; // an empty YAML document, e.g. after a trailing ---
        }
        if (!(doc instanceof ObjectNode manifest)) {
            throw failure(origin + " must hold a VirtualMachine object, not " + doc.getNodeType().toString().toLowerCase());
        }
        String kind = Formats.text(manifest, "kind");
        if (kind != null && !KIND.equals(kind)) {
            throw failure(origin + ": only kind VirtualMachine can be applied, not " + kind);
        }
        if (Formats.text(manifest, "metadata", "name") == null) {
            throw failure(origin + ": metadata.name is missing; every VirtualMachine needs a name");
        }
        manifests.add(manifest);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "syntax error";
        }
        int end = message.indexOf('\n');
        return end < 0 ? message : message.substring(0, end);
    }

    private static CommandFailure failure(String message) {
        return new CommandFailure(CommandFailure.REJECTED, message);
    }
}
