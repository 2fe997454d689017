package dev.vireo.protocol.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonSetter;
import com.fasterxml.jackson.annotation.Nulls;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.fasterxml.jackson.datatype.jdk8.Jdk8Module;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * The JSON and YAML mappers of the API: strict on input (unknown fields are errors), ISO-8601 times. What a
 * client posts is read by the stricter {@link #input} mappers.
 */
public final class Json {

    private static final ObjectMapper JSON = configure(JsonMapper.builder().build());
    private static final ObjectMapper YAML = configure(YAMLMapper.builder().build());
    private static final ObjectMapper JSON_INPUT = strict(configure(JsonMapper.builder(JsonFactory.builder()
            .streamReadConstraints(Limits.PARSER).build()).build()));
    private static final ObjectMapper YAML_INPUT = strict(configure(YAMLMapper.builder(YAMLFactory.builder()
            .streamReadConstraints(Limits.PARSER).loaderOptions(yamlLimits())
            // "app:" is a null in YAML, and refused as one
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL).build()).build()));

    private Json() {
    }

    public static ObjectMapper mapper() {
        return JSON;
    }

    public static ObjectMapper yaml() {
        return YAML;
    }

    /**
     * What reads a client's body: no null inside a map or list (a label {@code app: null} is refused, not
     * stored), no silent conversion ({@code cores: 1.5} or {@code "2"} is no whole number, {@code "Always "} is no
     * runStrategy), and parser limits on nesting, string and number length.
     */
    public static ObjectMapper input(boolean yaml) {
        return yaml ? YAML_INPUT : JSON_INPUT;
    }

    private static ObjectMapper configure(ObjectMapper mapper) {
        return mapper.registerModule(new JavaTimeModule())
                .registerModule(new Jdk8Module())
                .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
                .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true)
                .configure(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS, true)
                .configure(DeserializationFeature.FAIL_ON_TRAILING_TOKENS, true)
                .configure(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS, false)
                .setSerializationInclusion(JsonInclude.Include.NON_NULL);
    }

    @SuppressWarnings("deprecation")
    private static ObjectMapper strict(ObjectMapper mapper) {
        mapper.setDefaultSetterInfo(JsonSetter.Value.forContentNulls(Nulls.FAIL));
        mapper.configure(DeserializationFeature.ACCEPT_FLOAT_AS_INT, false);
        mapper.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
        mapper.registerModule(StrictEnums.module());
        return mapper;
    }

    private static LoaderOptions yamlLimits() {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(Limits.MAX_MANIFEST_BYTES);
        options.setMaxAliasesForCollections(10);
        options.setNestingDepthLimit(Limits.MAX_NESTING);
        options.setAllowDuplicateKeys(false);
        return options;
    }
}
