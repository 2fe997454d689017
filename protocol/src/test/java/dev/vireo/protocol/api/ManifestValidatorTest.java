package dev.vireo.protocol.api;

import static dev.vireo.protocol.api.ManifestParserTest.JSON;
import static dev.vireo.protocol.api.ManifestParserTest.VALID_JSON;
import static dev.vireo.protocol.api.ManifestParserTest.VALID_YAML;
import static dev.vireo.protocol.api.ManifestParserTest.YAML;
import static dev.vireo.protocol.api.ManifestParserTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.vireo.protocol.vm.RunStrategy;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The rules of a manifest beyond its shape; every refusal names its field and says what is allowed. */
class ManifestValidatorTest {

    private static VirtualMachineSpec validate(String json) {
        return ManifestValidator.validate(parse(json, JSON), "default", null);
    }

    private static InvalidManifestException invalid(String json) {
        return assertThrows(InvalidManifestException.class, () -> validate(json));
    }

    @Test
    void validManifestGetsDefaults() {
        VirtualMachineSpec spec = ManifestValidator.validate(parse("""
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "db"}, "spec": {}}
                """, JSON), "default", null);
        assertEquals(new VirtualMachineSpec(RunStrategy.Halted, new VirtualMachineSpec.Cpu(1), "128Mi", null,
                List.of(), Map.of(), VirtualMachineSpec.EvictionStrategy.None, 30), spec);
    }

    @Test
    void fullYamlManifestIsValid() {
        VirtualMachineSpec spec = ManifestValidator.validate(parse(VALID_YAML, YAML), "default", "web-1");
        assertEquals(128L << 20, spec.memoryBytes());
        assertEquals(Map.of("zone", "a"), spec.nodeSelector());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Web-1", "web_1", "-web", "web-", "web.1", ""})
    void nameNotADns1123LabelIsRejected(String name) {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"web-1\"", "\"" + name + "\""));
        assertEquals("metadata.name", e.field());
    }

    @Test
    void nameLongerThan63IsRejected() {
        assertEquals("metadata.name", invalid(VALID_JSON.replace("web-1", "a".repeat(64))).field());
        validate(VALID_JSON.replace("web-1", "a".repeat(63)));
    }

    @Test
    void missingNameIsRejected() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"name\": \"web-1\",", ""));
        assertEquals("metadata.name", e.field());
        assertTrue(e.getMessage().contains("required"));
    }

    @Test
    void namespaceMismatchIsRejected() {
        InvalidManifestException e = assertThrows(InvalidManifestException.class,
                () -> ManifestValidator.validate(parse(VALID_JSON, JSON), "prod", null));
        assertEquals("metadata.namespace", e.field());
        assertTrue(e.getMessage().contains("prod") && e.getMessage().contains("default"), e.getMessage());
    }

    @Test
    void nameMismatchOnReplaceIsRejected() {
        assertEquals("metadata.name", assertThrows(InvalidManifestException.class,
                () -> ManifestValidator.validate(parse(VALID_JSON, JSON), "default", "web-2")).field());
    }

    @Test
    void wrongApiVersionOrKindIsRejected() {
        assertEquals("apiVersion", invalid(VALID_JSON.replace("vireo.dev/v1", "kubevirt.io/v1")).field());
        assertEquals("kind", invalid(VALID_JSON.replace("\"VirtualMachine\"", "\"Pod\"")).field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "12XB", "-1", "1.5", "512Ki", "0"})
    void unusableMemoryIsRejected(String memory) {
        InvalidManifestException e = invalid(VALID_JSON.replace("256Mi", memory));
        assertEquals("spec.memory", e.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"7Ei", "65Ti", "70368744177665", "1P"})
    void memoryAbove64TiIsRejected(String memory) {
        InvalidManifestException e = invalid(VALID_JSON.replace("256Mi", memory));
        assertEquals("spec.memory", e.field());
        assertTrue(e.getMessage().contains("64Ti"), e.getMessage());
    }

    @Test
    void memoryOf64TiIsAccepted() {
        assertEquals(64L << 40, validate(VALID_JSON.replace("256Mi", "64Ti")).memoryBytes());
    }

    @Test
    void memoryOfAHundredThousandDigitsIsRejectedNamingSpecMemory() {
        InvalidManifestException e = invalid(VALID_JSON.replace("256Mi", "1".repeat(100_000)));
        assertEquals("spec.memory", e.field());
        assertTrue(e.getMessage().length() < 300, "the message quotes all the digits");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 1025})
    void coresOutOfRangeAreRejected(int cores) {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"cores\": 2", "\"cores\": " + cores));
        assertEquals("spec.cpu.cores", e.field());
        assertTrue(e.getMessage().contains("between 1 and 1024"), e.getMessage());
    }

    @Test
    void negativeGracePeriodIsRejected() {
        assertEquals("spec.terminationGracePeriodSeconds",
                invalid(VALID_JSON.replace("\"memory\"", "\"terminationGracePeriodSeconds\": -5, \"memory\"")).field());
    }

    @Test
    void bootWithoutKernelIsRejected() {
        assertEquals("spec.boot.kernel",
                invalid(VALID_JSON.replace("\"memory\"", "\"boot\": {\"cmdline\": \"quiet\"}, \"memory\"")).field());
    }

    @Test
    void diskProblemsNameTheDisk() {
        assertEquals("spec.disks[1].name", invalid(VALID_JSON.replace("\"memory\"",
                "\"disks\": [{\"name\": \"root\", \"image\": \"a\"}, {\"name\": \"root\", \"image\": \"b\"}], \"memory\""))
                .field());
        assertEquals("spec.disks[0].image", invalid(VALID_JSON.replace("\"memory\"",
                "\"disks\": [{\"name\": \"root\"}], \"memory\"")).field());
        assertEquals("spec.disks[0].name", invalid(VALID_JSON.replace("\"memory\"",
                "\"disks\": [{\"name\": \"Root Disk\", \"image\": \"a\"}], \"memory\"")).field());
    }

    @Test
    void overlongLabelValueNamesTheLabel() {
        assertEquals("metadata.labels.app", invalid(VALID_JSON.replace("\"app\": \"web\"",
                "\"app\": \"" + "w".repeat(64) + "\"")).field());
    }
}
