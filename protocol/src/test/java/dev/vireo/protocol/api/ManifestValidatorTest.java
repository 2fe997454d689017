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

    // finding 6: a null anywhere in a map or list of the manifest is refused naming where, never stored

    @Test
    void nullLabelValueInJsonIsRejectedNamingTheLabel() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"app\": \"web\"", "\"app\": null"));
        assertEquals("metadata.labels.app", e.field());
        assertTrue(e.getMessage().contains("null"), e.getMessage());
    }

    @Test
    void nullLabelValueInYamlIsRejectedNamingTheLabel() {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> ManifestValidator.validate(
                parse(VALID_YAML.replace("labels: {app: web}", "labels:\n    app:\n    tier: db"), YAML),
                "default", null));
        assertEquals("metadata.labels.app", e.field());
    }

    @Test
    void nullsInNodeSelectorAndDisksAreRejectedNamingWhere() {
        assertEquals("spec.nodeSelector.zone", invalid(VALID_JSON.replace("\"memory\"",
                "\"nodeSelector\": {\"zone\": null}, \"memory\"")).field());
        assertEquals("spec.disks[1]", invalid(VALID_JSON.replace("\"memory\"",
                "\"disks\": [{\"name\": \"a\", \"image\": \"a\"}, null], \"memory\"")).field());
        assertEquals("metadata.annotations.note", invalid(VALID_JSON.replace("\"labels\"",
                "\"annotations\": {\"note\": null}, \"labels\"")).field());
    }

    @Test
    void aSpecBuiltInCodeWithANullSelectorValueIsRejectedToo() {
        java.util.Map<String, String> selector = new java.util.HashMap<>();
        selector.put("zone", null);
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> ManifestValidator.validate(
                new VirtualMachineSpec(null, null, null, null, null, selector, null, null)));
        assertEquals("spec.nodeSelector.zone", e.field());
    }

    // finding 8: nothing is converted, trimmed or dropped silently

    @ParameterizedTest
    @ValueSource(strings = {"1.5", "2.0", "\"2\"", "true", "1e1"})
    void coresMustBeAWholeNumberAsWritten(String cores) {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"cores\": 2", "\"cores\": " + cores));
        assertEquals("spec.cpu.cores", e.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"Always ", " Always", "always", "ALWAYS", "Always\\u0000"})
    void runStrategyMustBeExactlyOneOfItsValues(String strategy) {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"Always\"", "\"" + strategy + "\""));
        assertEquals("spec.runStrategy", e.field());
        assertTrue(e.getMessage().contains("RerunOnFailure"), e.getMessage());
    }

    @Test
    void evictionStrategyMustBeExactToo() {
        assertEquals("spec.evictionStrategy", invalid(VALID_JSON.replace("\"memory\"",
                "\"evictionStrategy\": \"LiveMigrate \", \"memory\"")).field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\\u0000b", "App Name", "\\u0434\\u043e\\u043c", "-app", "app-", "Example.com/app",
            "a/b/c", "/app", "app/", "x/"})
    void labelKeysFollowKubernetesSyntax(String key) {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"app\": \"web\"", "\"" + key + "\": \"web\""));
        assertEquals("metadata.labels", e.field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "App", "app.kubernetes.io/name", "a_b.c-d", "vireo.dev/tier"})
    void kubernetesLabelKeysAreAccepted(String key) {
        validate(VALID_JSON.replace("\"app\": \"web\"", "\"" + key + "\": \"web\""));
    }

    @Test
    void labelKeyPartsAreBoundedAsInKubernetes() {
        String prefix = "p".repeat(253);
        validate(VALID_JSON.replace("\"app\": \"web\"", "\"" + prefix + "/" + "n".repeat(63) + "\": \"web\""));
        assertEquals("metadata.labels", invalid(VALID_JSON.replace("\"app\": \"web\"",
                "\"" + prefix + "p/n\": \"web\"")).field());
        assertEquals("metadata.labels", invalid(VALID_JSON.replace("\"app\": \"web\"",
                "\"" + "n".repeat(64) + "\": \"web\"")).field());
    }

    @ParameterizedTest
    @ValueSource(strings = {"we b", "-web", "web-", "w\\u00e9b"})
    void labelValuesFollowKubernetesSyntax(String value) {
        assertEquals("metadata.labels.app", invalid(VALID_JSON.replace("\"web\"}", "\"" + value + "\"}")).field());
    }

    @Test
    void emptyLabelValueIsAccepted() {
        validate(VALID_JSON.replace("\"web\"}", "\"\"}"));
    }

    @Test
    void annotationsAreRefusedRatherThanDropped() {
        InvalidManifestException e = invalid(VALID_JSON.replace("\"labels\"",
                "\"annotations\": {\"note\": \"" + "x".repeat(1 << 19) + "\"}, \"labels\""));
        assertEquals("metadata.annotations", e.field());
        validate(VALID_JSON.replace("\"labels\"", "\"annotations\": {}, \"labels\""));
    }

    // finding 1: every field bounded

    @Test
    void moreThan64LabelsAreRejected() {
        assertEquals("metadata.labels", invalid(VALID_JSON.replace("{\"app\": \"web\"}", entries(65))).field());
        validate(VALID_JSON.replace("{\"app\": \"web\"}", entries(64)));
    }

    @Test
    void moreThan64NodeSelectorEntriesAreRejected() {
        assertEquals("spec.nodeSelector", invalid(VALID_JSON.replace("\"memory\"",
                "\"nodeSelector\": " + entries(65) + ", \"memory\"")).field());
    }

    @Test
    void moreThan32DisksAreRejected() {
        StringBuilder disks = new StringBuilder();
        for (int i = 0; i < 33; i++) {
            disks.append(i == 0 ? "" : ", ").append("{\"name\": \"d").append(i).append("\", \"image\": \"i\"}");
        }
        assertEquals("spec.disks", invalid(VALID_JSON.replace("\"memory\"", "\"disks\": [" + disks + "], \"memory\""))
                .field());
    }

    @Test
    void cmdlineIsAtMost4096Bytes() {
        String boot = "\"boot\": {\"kernel\": \"vmlinuz\", \"cmdline\": \"%s\"}, \"memory\"";
        validate(VALID_JSON.replace("\"memory\"", boot.formatted("c".repeat(4096))));
        InvalidManifestException e = invalid(VALID_JSON.replace("\"memory\"", boot.formatted("c".repeat(7 << 17))));
        assertEquals("spec.boot.cmdline", e.field());
        assertTrue(e.getMessage().length() < 200, e.getMessage());
        assertEquals("spec.boot.cmdline", invalid(VALID_JSON.replace("\"memory\"",
                boot.formatted("\\u00e9".repeat(2049)))).field());
        assertEquals("spec.boot.cmdline", invalid(VALID_JSON.replace("\"memory\"", boot.formatted("a\\nb")))
                .field());
    }

    @Test
    void pathsAreAtMost4096BytesWithoutControlCharacters() {
        assertEquals("spec.boot.kernel", invalid(VALID_JSON.replace("\"memory\"",
                "\"boot\": {\"kernel\": \"" + "k".repeat(4097) + "\"}, \"memory\"")).field());
        assertEquals("spec.boot.initrd", invalid(VALID_JSON.replace("\"memory\"",
                "\"boot\": {\"kernel\": \"k\", \"initrd\": \"a\\u0000b\"}, \"memory\"")).field());
        assertEquals("spec.disks[0].image", invalid(VALID_JSON.replace("\"memory\"",
                "\"disks\": [{\"name\": \"root\", \"image\": \"" + "i".repeat(4097) + "\"}], \"memory\"")).field());
    }

    @Test
    void gracePeriodIsAtMostADay() {
        assertEquals("spec.terminationGracePeriodSeconds",
                invalid(VALID_JSON.replace("\"memory\"", "\"terminationGracePeriodSeconds\": 86401, \"memory\"")).field());
    }

    @Test
    void aManifestOverOneMebibyteIsRejectedBeforeItIsRead() {
        InvalidManifestException e = assertThrows(InvalidManifestException.class, () -> ManifestParser.manifest(
                new byte[Limits.MAX_MANIFEST_BYTES + 1], JSON));
        assertTrue(e.getMessage().contains("at most 1048576 bytes"), e.getMessage());
    }

    @Test
    void deepNestingIsRejected() {
        String deep = "[".repeat(1000) + "]".repeat(1000);
        InvalidManifestException e = invalid(VALID_JSON.replace("\"spec\"", "\"status\": " + deep + ", \"spec\""));
        assertTrue(e.getMessage().contains("nesting"), e.getMessage());
    }

    private static String entries(int n) {
        StringBuilder json = new StringBuilder("{");
        for (int i = 0; i < n; i++) {
            json.append(i == 0 ? "" : ", ").append("\"k").append(i).append("\": \"v\"");
        }
        return json.append('}').toString();
    }
}
