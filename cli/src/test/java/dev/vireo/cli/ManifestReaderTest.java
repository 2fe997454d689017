package dev.vireo.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManifestReaderTest {
    static final String YAML = """
            apiVersion: vireo.dev/v1
            kind: VirtualMachine
            metadata:
              name: web-1                 # DNS-1123 label
              labels: {app: web}
            spec:
              runStrategy: Always
              cpu: {cores: 1}
              memory: 128Mi
              disks:
                - name: root
                  image: /var/lib/vireo/images/debian.qcow2
            """;

    private static final InputStream NO_STDIN = InputStream.nullInputStream();

    @TempDir
    Path dir;

    @Test
    void readsTheYamlManifestOfTheDesign() throws Exception {
        Path file = Files.writeString(dir.resolve("vm.yaml"), YAML);
        ObjectNode vm = ManifestReader.read(file.toString(), NO_STDIN).get(0);
        assertEquals("web-1", vm.at("/metadata/name").asText());
        assertEquals("web", vm.at("/metadata/labels/app").asText());
        assertEquals(1, vm.at("/spec/cpu/cores").asInt());
        assertEquals("/var/lib/vireo/images/debian.qcow2", vm.at("/spec/disks/0/image").asText());
    }

    @Test
    void readsJsonManifests() throws Exception {
        Path file = Files.writeString(dir.resolve("vm.json"),
                "{\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"db\"},\"spec\":{\"memory\":\"1Gi\"}}");
        assertEquals("1Gi", ManifestReader.read(file.toString(), NO_STDIN).get(0).at("/spec/memory").asText());
    }

    @Test
    void dashReadsTheManifestFromStdin() {
        InputStream stdin = new ByteArrayInputStream(YAML.getBytes(StandardCharsets.UTF_8));
        assertEquals("web-1", ManifestReader.read("-", stdin).get(0).at("/metadata/name").asText());
    }

    @Test
    void severalYamlDocumentsAreSeveralManifests() {
        List<ObjectNode> vms = ManifestReader.parse(YAML + "---\n" + YAML.replace("web-1", "web-2") + "---\n", "vms.yaml");
        assertEquals(List.of("web-1", "web-2"), vms.stream().map(vm -> vm.at("/metadata/name").asText()).toList());
    }

    @Test
    void aManifestWithoutNameIsRefusedBeforeAnyRequest() {
        CommandFailure e = assertThrows(CommandFailure.class,
                () -> ManifestReader.parse("kind: VirtualMachine\nspec: {memory: 1Gi}\n", "vm.yaml"));
        assertEquals("error: vm.yaml: metadata.name is missing; every VirtualMachine needs a name", e.render());
    }

    @Test
    void otherKindsAreRefused() {
        CommandFailure e = assertThrows(CommandFailure.class,
                () -> ManifestReader.parse("kind: Pod\nmetadata: {name: x}\n", "pod.yaml"));
        assertTrue(e.getMessage().contains("only kind VirtualMachine can be applied, not Pod"), e.getMessage());
    }

    @Test
    void aSyntaxErrorSaysWhere() {
        CommandFailure e = assertThrows(CommandFailure.class,
                () -> ManifestReader.parse("metadata:\n  name: [web\n", "vm.yaml"));
        assertTrue(e.getMessage().startsWith("vm.yaml is not valid JSON or YAML: "), e.getMessage());
        assertTrue(e.getMessage().contains("(line "), e.getMessage());
    }

    @Test
    void aMissingFileIsNamed() {
        CommandFailure e = assertThrows(CommandFailure.class,
                () -> ManifestReader.read(dir.resolve("nope.yaml").toString(), NO_STDIN));
        assertTrue(e.getMessage().endsWith("nope.yaml: no such file"), e.getMessage());
    }

    @Test
    void anEmptyFileHoldsNoManifest() {
        CommandFailure e = assertThrows(CommandFailure.class, () -> ManifestReader.parse("", "empty.yaml"));
        assertTrue(e.getMessage().startsWith("empty.yaml holds no manifest"), e.getMessage());
    }
}
