package dev.vireo.kube;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * fabric8's typed model, made strict: its classes keep unknown fields in {@code additionalProperties}
 * (an any-setter); without it, an unknown or misspelled field is an error, as a real API server's
 * strict field validation would make it.
 */
final class StrictKubernetesModel {

    private static final KubernetesSerialization STRICT = new KubernetesSerialization(strictMapper(), true);

    private StrictKubernetesModel() {
    }

    private static ObjectMapper strictMapper() {
        ObjectMapper mapper = new ObjectMapper();
        mapper.registerModule(new SimpleModule("strict").setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription description,
                                                         BeanDeserializerBuilder builder) {
                builder.setAnySetter(null);
                return builder;
            }
        }));
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        return mapper;
    }

    /** Every document of a YAML file as its typed class; a kind the model does not know is an error. */
    static List<HasMetadata> load(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    static List<HasMetadata> parse(String yaml, String where) {
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) {
                continue;
            }
            HasMetadata object = STRICT.unmarshal(document);
            if (object instanceof GenericKubernetesResource generic) {
                throw new IllegalArgumentException(where + ": " + generic.getApiVersion() + " " + generic.getKind()
                        + " is no kind of the typed model");
            }
            objects.add(object);
        }
        return objects;
    }
}
