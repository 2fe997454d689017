package dev.vireo.protocol.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;

/** Enum values exactly as the API names them: Jackson's own reader trims, so {@code "Always "} was Always. */
final class StrictEnums extends StdDeserializer<Enum<?>> {

    private final Class<?> type;

    private StrictEnums(Class<?> type) {
        super(type);
        this.type = type;
    }

    static SimpleModule module() {
        return new SimpleModule("strict-enums").setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
                                                              BeanDescription description,
                                                              JsonDeserializer<?> deserializer) {
                return new StrictEnums(type.getRawClass());
            }
        });
    }

    @Override
    public Enum<?> deserialize(JsonParser p, DeserializationContext context) throws IOException {
        if (!p.hasToken(JsonToken.VALUE_STRING)) {
            return (Enum<?>) context.handleUnexpectedToken(type, p);
        }
        String text = p.getText();
        for (Object constant : type.getEnumConstants()) {
            if (((Enum<?>) constant).name().equals(text)) {
                return (Enum<?>) constant;
            }
        }
        throw InvalidFormatException.from(p, "not one of the values", text, type);
    }
}
