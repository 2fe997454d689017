package dev.vireo.protocol.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.RunStrategy;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Reading a posted manifest: JSON by default, YAML when the content type says so; bad input names its field. */
class ManifestParserTest {

    static final String JSON = "application/json";
    static final String YAML = "application/yaml";

    static final String VALID_JSON = """
            {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
             "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web"}},
             "spec": {"runStrategy": "Always", "cpu": {"cores": 2}, "memory": "256Mi"}}
            """;

    static final String VALID_YAML = """
            apiVersion: vireo.dev/v1
            kind: VirtualMachine
            metadata:
              name: web-1
              namespace: default
              labels: {app: web}
            spec:
              runStrategy: Always
              cpu: {cores: 1}
              memory: 128Mi
              boot:
                kernel: /var/lib/vireo/images/vmlinuz
                initrd: /var/lib/vireo/images/initrd.img
                cmdline: "console=ttyS0 root=/dev/vda"
              disks:
                - name: root
                  image: /var/lib/vireo/images/debian.qcow2
              nodeSelector: {zone: a}
              evictionStrategy: LiveMigrate
              terminationGracePeriodSeconds: 30
            """;

    static VirtualMachineManifest parse(String body, String contentType) {
        return ManifestParser.manifest(body.getBytes(StandardCharsets.UTF_8), contentType);
    }

    static InvalidManifestException invalid(String body, String contentType) {
        return assertThrows(InvalidManifestException.class, () -> parse(body, contentType));
    }

    @Test
    void jsonManifestIsRead() {
        VirtualMachineManifest m = parse(VALID_JSON, JSON);
        assertEquals("web-1", m.metadata().name());
        assertEquals(RunStrategy.Always, m.spec().runStrategy());
        assertEquals(2, m.spec().cores());
    }

    @Test
    void yamlAcceptedWithApplicationYaml() {
        VirtualMachineManifest m = parse(VALID_YAML, YAML);
        assertEquals("web-1", m.metadata().name());
        assertEquals("/var/lib/vireo/images/debian.qcow2", m.spec().disks().get(0).image());
        assertEquals(30, m.spec().terminationGracePeriodSeconds());
    }

    @Test
    void yamlContentTypesAreRecognised() {
        assertTrue(ManifestParser.isYaml("application/yaml"));
        assertTrue(ManifestParser.isYaml("application/x-yaml; charset=utf-8"));
        assertTrue(ManifestParser.isYaml("text/yaml"));
        assertTrue(!ManifestParser.isYaml("application/json") && !ManifestParser.isYaml(null));
    }

    @Test
    void yamlSentAsJsonIsNotJson() {
        InvalidManifestException e = invalid(VALID_YAML, JSON);
        assertNull(e.field());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void bodyNeitherJsonNorYamlIsRejected() {
        InvalidManifestException asJson = invalid("<vm name='web-1'/>", JSON);
        assertNull(asJson.field());
        assertTrue(asJson.getMessage().contains("not valid JSON"), asJson.getMessage());
        InvalidManifestException asYaml = invalid("@vm: {name: web-1\n", YAML);
        assertNull(asYaml.field());
        assertTrue(asYaml.getMessage().contains("not valid YAML"), asYaml.getMessage());
    }

    @Test
    void yamlScalarIsNotAManifest() {
        InvalidManifestException e = invalid("just some words", YAML);
        assertTrue(e.getMessage().contains("not a VirtualMachineManifest object"), e.getMessage());
    }

    @Test
    void emptyBodyIsRejected() {
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> ManifestParser.manifest(new byte[0], JSON));
        assertTrue(e.getMessage().contains("no body"), e.getMessage());
    }

    @Test
    void unknownRunStrategyNamesSpecRunStrategy() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"Always\"", "\"Sometimes\""), JSON);
        assertEquals("spec.runStrategy", e.field());
        assertTrue(e.getMessage().contains("Sometimes") && e.getMessage().contains("RerunOnFailure"), e.getMessage());
    }

    @Test
    void unknownRunStrategyInYamlNamesSpecRunStrategy() {
        assertEquals("spec.runStrategy", invalid(VALID_YAML.replace("runStrategy: Always", "runStrategy: always"),
                YAML).field());
    }

    @Test
    void unknownSpecFieldIsNamed() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"memory\"", "\"foo\": 1, \"memory\""), JSON);
        assertEquals("spec.foo", e.field());
        assertTrue(e.getMessage().contains("unknown field \"foo\"") && e.getMessage().contains("runStrategy"),
                e.getMessage());
    }

    @Test
    void unknownMetadataFieldIsNamed() {
        assertEquals("metadata.bar", invalid(VALID_JSON.replace("\"name\"", "\"bar\": \"x\", \"name\""), JSON).field());
    }

    @Test
    void unknownTopLevelFieldIsNamed() {
        assertEquals("extra", invalid(VALID_JSON.replace("\"kind\"", "\"extra\": true, \"kind\""), JSON).field());
    }

    @Test
    void unknownNestedFieldInYamlIsNamed() {
        assertEquals("spec.cpu.threads", invalid(VALID_YAML.replace("cpu: {cores: 1}", "cpu: {cores: 1, threads: 2}"),
                YAML).field());
        assertEquals("spec.disks[0].size", invalid(VALID_YAML.replace("- name: root", "- size: 1Gi\n      name: root"),
                YAML).field());
    }

    @Test
    void wrongTypeNamesItsField() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"cores\": 2", "\"cores\": \"two\""), JSON);
        assertEquals("spec.cpu.cores", e.field());
        assertEquals("spec.disks", invalid(VALID_JSON.replace("\"memory\"", "\"disks\": 3, \"memory\""), JSON).field());
    }

    @Test
    void statusOfAManifestReadBackIsAccepted() {
        VirtualMachineManifest m = parse(VALID_JSON.replace("\"spec\"", "\"status\": {\"printableStatus\": \"Running\"},"
                + " \"spec\""), JSON);
        assertEquals("Running", m.status().get("printableStatus").asText());
    }
}
