package dev.vireo.protocol.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidNullException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.Collectors;

/** Reads a posted body (JSON, or YAML when the content type says so) into a typed value, naming the bad field. */
public final class ManifestParser {

    private ManifestParser() {
    }

    public static boolean isYaml(String contentType) {
        return contentType != null && (contentType.contains("yaml") || contentType.contains("yml"));
    }

    public static VirtualMachineManifest manifest(byte[] body, String contentType) {
        return read(body, contentType, VirtualMachineManifest.class);
    }

    public static <T> T read(byte[] body, String contentType, Class<T> type) {
        if (body == null || body.length == 0) {
            throw new InvalidManifestException(null, "the request has no body; send a " + type.getSimpleName()
                    .replace("Manifest", "") + " as JSON or YAML");
        }
        if (body.length > Limits.MAX_MANIFEST_BYTES) {
            throw new InvalidManifestException(null, "the body is " + body.length + " bytes; a manifest is at most "
                    + Limits.MAX_MANIFEST_BYTES + " bytes (1 MiB)");
        }
        ObjectMapper mapper = Json.input(isYaml(contentType));
        try {
            T value = mapper.readValue(body, type);
            if (value == null) {
                throw new InvalidManifestException(null, "the body is empty");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw new InvalidManifestException(path(e), "unknown field \"" + e.getPropertyName() + "\""
                    + (e.getKnownPropertyIds() == null ? "" : "; known fields: " + e.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "))));
        } catch (InvalidFormatException e) {
            String field = path(e);
            String value = Limits.shown(String.valueOf(e.getValue()));
            if (e.getTargetType() != null && e.getTargetType().isEnum()) {
                throw new InvalidManifestException(field, "unknown value " + value + " for " + field
                        + "; expected one of " + Arrays.stream(e.getTargetType().getEnumConstants())
                        .map(String::valueOf).collect(Collectors.joining(", ")) + " (exactly, no spaces)");
            }
            throw new InvalidManifestException(field, "invalid value " + value + " for " + field + ": expected "
                    + simpleType(e));
        } catch (InvalidNullException e) {
            String field = path(e);
            throw new InvalidManifestException(field, field + " is null; give it a value or leave it out");
        } catch (MismatchedInputException e) {
            String field = path(e);
            throw new InvalidManifestException(field, field == null
                    ? "the body is not a " + type.getSimpleName() + " object"
                    : "invalid value for " + field + ": expected " + simpleType(e));
        } catch (JsonMappingException e) {
            String field = path(e);
            throw new InvalidManifestException(field, "invalid value" + (field == null ? "" : " for " + field) + ": "
                    + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            throw new InvalidManifestException(null, "the body is not valid " + (isYaml(contentType) ? "YAML" : "JSON")
                    + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new InvalidManifestException(null, "the body could not be read: " + e.getMessage());
        } catch (RuntimeException e) {
            // what the YAML reader throws without Jackson's wrapping (e.g. a limit of its own)
            throw new InvalidManifestException(null, "the body is not valid " + (isYaml(contentType) ? "YAML" : "JSON")
                    + ": " + Limits.shown(String.valueOf(e.getMessage())));
        }
    }

    private static String simpleType(MismatchedInputException e) {
        Class<?> t = e.getTargetType();
        if (t == null) {
            return "another type";
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
            return "a whole number";
        }
        if (t == String.class) {
            return "a string";
        }
        if (java.util.Map.class.isAssignableFrom(t)) {
            return "a map";
        }
        if (java.util.List.class.isAssignableFrom(t)) {
            return "a list";
        }
        return "an object";
    }

    static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                // a key is named as sent, but not at any length: a field name must not echo a megabyte
                String name = ref.getFieldName();
                sb.append(name.length() <= 320 ? name : name.substring(0, 64) + "…");
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
