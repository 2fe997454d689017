package dev.vireo.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.vireo.protocol.api.VirtualMachineView;
import dev.vireo.protocol.vm.Phase;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The VirtualMachine CRD's schema and the Java model say the same: every field, both ways, compatible types. */
class CrdSchemaTest {

    static CustomResourceDefinitionVersion v1() throws Exception {
        CustomResourceDefinition crd = (CustomResourceDefinition) StrictKubernetesModel.load(
                DeployManifestsTest.DEPLOY.resolve("crds/virtualmachine.yaml")).get(0);
        return crd.getSpec().getVersions().get(0);
    }

    static JSONSchemaProps schema() throws Exception {
        return v1().getSchema().getOpenAPIV3Schema();
    }

    @Test
    void specSchemaIsTheJavaSpec() throws Exception {
        List<String> problems = new ArrayList<>();
        compare("spec", schema().getProperties().get("spec"), VirtualMachineSpec.class, problems);
        assertEquals(List.of(), problems);
    }

    @Test
    void statusSchemaIsTheJavaStatus() throws Exception {
        List<String> problems = new ArrayList<>();
        compare("status", schema().getProperties().get("status"), VirtualMachineView.Status.class, problems);
        assertEquals(List.of(), problems);
        assertEquals(names(Phase.values()), schema().getProperties().get("status").getProperties()
                .get("printableStatus").getEnum().stream().map(j -> j.asText()).collect(Collectors.toSet()));
    }

    /** The check itself: a drifted schema is caught, so the tests above cannot pass by accident. */
    @Test
    void aFieldMissingOnEitherSideOrOfAnotherTypeIsReported() throws Exception {
        JSONSchemaProps spec = schema().getProperties().get("spec");
        spec.getProperties().remove("memory");
        spec.getProperties().put("replicas", new JSONSchemaProps());
        spec.getProperties().get("terminationGracePeriodSeconds").setType("string");
        List<String> problems = new ArrayList<>();
        compare("spec", spec, VirtualMachineSpec.class, problems);
        assertEquals(Set.of("spec.memory: in the Java model, not in the schema",
                "spec.replicas: in the schema, not in the Java model",
                "spec.terminationGracePeriodSeconds: schema type string, Java java.lang.Integer"), Set.copyOf(problems));
    }

    static CustomResourceDefinitionVersion v1(String file) throws Exception {
        CustomResourceDefinition crd = (CustomResourceDefinition) StrictKubernetesModel.load(
                DeployManifestsTest.DEPLOY.resolve("crds").resolve(file)).get(0);
        return crd.getSpec().getVersions().get(0);
    }

    /** The migration, snapshot and restore resources: spec and status as the sync reads and writes them. */
    @Test
    void operationSchemasAreTheJavaSpecsAndStatuses() throws Exception {
        List<String> problems = new ArrayList<>();
        Map<String, Class<?>[]> kinds = Map.of(
                "virtualmachinemigration.yaml", new Class<?>[]{MigrationResource.Spec.class, MigrationResource.Status.class},
                "virtualmachinesnapshot.yaml", new Class<?>[]{SnapshotResource.Spec.class, SnapshotResource.Status.class},
                "virtualmachinerestore.yaml", new Class<?>[]{RestoreResource.Spec.class, RestoreResource.Status.class});
        for (Map.Entry<String, Class<?>[]> kind : kinds.entrySet()) {
            CustomResourceDefinitionVersion version = v1(kind.getKey());
            JSONSchemaProps schema = version.getSchema().getOpenAPIV3Schema();
            compare(kind.getKey() + ":spec", schema.getProperties().get("spec"), kind.getValue()[0], problems);
            compare(kind.getKey() + ":status", schema.getProperties().get("status"), kind.getValue()[1], problems);
            assertTrue(version.getSubresources().getStatus() != null, kind.getKey());
        }
        assertEquals(List.of(), problems);
        // the sync reads the spec's fields by these names
        assertEquals(List.of("vmName"), v1("virtualmachinemigration.yaml").getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec").getRequired());
    }

    @Test
    void printerColumnsShowStatusNodeReadyAndAge() throws Exception {
        var columns = v1().getAdditionalPrinterColumns();
        assertEquals(List.of("Status", "Node", "Ready", "Age"), columns.stream().map(c -> c.getName()).toList());
        assertEquals(".status.printableStatus", columns.get(0).getJsonPath());
        assertTrue(columns.get(2).getJsonPath().contains("Ready"));
        assertTrue(v1().getSubresources().getStatus() != null);
    }

    private static void compare(String path, JSONSchemaProps schema, Type javaType, List<String> problems) {
        Class<?> raw = raw(javaType);
        String type = schema.getType();
        if (raw == String.class) {
            expect(path, "string", type, javaType, problems);
        } else if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            expect(path, "integer", type, javaType, problems);
        } else if (raw == boolean.class || raw == Boolean.class) {
            expect(path, "boolean", type, javaType, problems);
        } else if (raw.isEnum()) {
            expect(path, "string", type, javaType, problems);
            Set<String> schemaValues = schema.getEnum() == null ? Set.of()
                    : schema.getEnum().stream().map(j -> j.asText()).collect(Collectors.toSet());
            if (!schemaValues.equals(names(raw.getEnumConstants()))) {
                problems.add(path + ": schema enum " + new TreeSet<>(schemaValues) + ", Java " + new TreeSet<>(names(raw.getEnumConstants())));
            }
        } else if (List.class.isAssignableFrom(raw)) {
            expect(path, "array", type, javaType, problems);
            if (schema.getItems() != null && schema.getItems().getSchema() != null) {
                compare(path + "[]", schema.getItems().getSchema(), arg(javaType, 0), problems);
            } else {
                problems.add(path + ": array without items");
            }
        } else if (Map.class.isAssignableFrom(raw)) {
            expect(path, "object", type, javaType, problems);
            if (schema.getAdditionalProperties() == null || schema.getAdditionalProperties().getSchema() == null) {
                problems.add(path + ": a map needs additionalProperties");
            } else {
                compare(path + "{}", schema.getAdditionalProperties().getSchema(), arg(javaType, 1), problems);
            }
        } else if (raw == Object.class) {
            expect(path, "object", type, javaType, problems);
            if (!Boolean.TRUE.equals(schema.getXKubernetesPreserveUnknownFields())) {
                problems.add(path + ": any object needs x-kubernetes-preserve-unknown-fields");
            }
        } else if (raw.isRecord()) {
            expect(path, "object", type, javaType, problems);
            Map<String, JSONSchemaProps> properties = schema.getProperties() == null ? Map.of() : schema.getProperties();
            for (RecordComponent c : raw.getRecordComponents()) {
                JSONSchemaProps p = properties.get(c.getName());
                if (p == null) {
                    problems.add(path + "." + c.getName() + ": in the Java model, not in the schema");
                } else {
                    compare(path + "." + c.getName(), p, c.getGenericType(), problems);
                }
            }
            Set<String> java = Arrays.stream(raw.getRecordComponents()).map(RecordComponent::getName).collect(Collectors.toSet());
            properties.keySet().stream().filter(k -> !java.contains(k))
                    .forEach(k -> problems.add(path + "." + k + ": in the schema, not in the Java model"));
        } else {
            fail(path + ": no rule for Java type " + javaType);
        }
    }

    private static void expect(String path, String expected, String actual, Type javaType, List<String> problems) {
        if (!expected.equals(actual)) {
            problems.add(path + ": schema type " + actual + ", Java " + javaType.getTypeName());
        }
    }

    private static Class<?> raw(Type type) {
        return type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    }

    private static Type arg(Type type, int index) {
        return type instanceof ParameterizedType p ? p.getActualTypeArguments()[index] : Object.class;
    }

    private static Set<String> names(Object[] constants) {
        return Arrays.stream(constants).map(String::valueOf).collect(Collectors.toSet());
    }
}
