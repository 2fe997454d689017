package dev.vireo.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import java.util.HashMap;
import java.util.Map;

/**
 * The names a type's {@code @JsonSubTypes} give its subtypes, by class: the names are written once, where
 * Jackson reads them too, and the API (history, event stream, logs) uses the same ones.
 */
public final class TypeNames {

    private static final ClassValue<Map<Class<?>, String>> NAMES = new ClassValue<>() {
        @Override
        protected Map<Class<?>, String> computeValue(Class<?> type) {
            JsonSubTypes subTypes = type.getAnnotation(JsonSubTypes.class);
            if (subTypes == null) {
                throw new IllegalArgumentException(type + " names no @JsonSubTypes");
            }
            Map<Class<?>, String> names = new HashMap<>();
            for (JsonSubTypes.Type subType : subTypes.value()) {
                names.put(subType.value(), subType.name());
            }
            return Map.copyOf(names);
        }
    };

    private TypeNames() {
    }

    /** Every subtype {@code annotated}'s {@code @JsonSubTypes} lists, with its name there. */
    public static Map<Class<?>, String> of(Class<?> annotated) {
        return NAMES.get(annotated);
    }
}
