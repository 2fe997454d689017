package dev.vireo.protocol.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.vireo.protocol.vm.Decision;
import dev.vireo.protocol.vm.VirtualMachineSpec;
import dev.vireo.protocol.vm.VmCommand;
import dev.vireo.protocol.vm.VmDecider;
import dev.vireo.protocol.vm.VmEvent;
import dev.vireo.protocol.vm.VmId;
import dev.vireo.protocol.vm.VmPolicy;
import dev.vireo.protocol.vm.VmState;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Whatever a client posts, the parser and validator answer one of two ways: a refusal
 * ({@link InvalidManifestException}: a 400 with a short message and, where the body parsed, its field) or a
 * valid spec that a VM can be created from. Never another exception, and never time out of proportion to the
 * size of the input.
 */
class ManifestPropertiesTest {

    private static final VmDecider DECIDER = new VmDecider(VmPolicy.DEFAULT);
    private static final List<String> FIELDS = List.of("apiVersion", "kind", "metadata", "name", "namespace",
            "labels", "annotations", "uid", "generation", "resourceVersion", "creationTimestamp", "spec",
            "runStrategy", "cpu", "cores", "memory", "boot", "kernel", "initrd", "cmdline", "disks", "image",
            "nodeSelector", "evictionStrategy", "terminationGracePeriodSeconds", "status", "app", "zone");
    private static final List<String> TOKENS = List.of("null", "1.5", "-1", "0", "1e400", "\"\"", "[]", "{}", "true",
            "\"Always \"", "\"7Ei\"", "\"64Ti\"", "\"x\\u0000y\"", "99999999999999999999", "\"" + "9".repeat(200) + "\"",
            "~", "&a", "*a", "!!binary", "- ", ": ", "\n  ", "\t", "#", "'", "\"", "{", "}", "[", "]", ",");

    // --- any input: a refusal or a valid spec

    @Property(tries = 1500)
    void aMutatedManifestIsRefusedOrValid(@ForAll("mutatedManifests") Input input) {
        assertRefusedOrValid(input);
    }

    @Property(tries = 1500)
    void aManifestOfAnyShapeIsRefusedOrValid(@ForAll("shapedManifests") Input input) {
        assertRefusedOrValid(input);
    }

    @Property(tries = 500)
    void anyTextIsRefusedOrValid(@ForAll("anyText") Input input) {
        assertRefusedOrValid(input);
    }

    // --- time in proportion to size

    /**
     * Big inputs of the shapes that cost most (long numbers, long strings, many entries, deep nesting) take
     * thread CPU time of at most 0.3 s plus 5 µs a byte: linear work is about a hundredth of that; the
     * quadratic parse of a quantity took 55 s for a million digits.
     */
    @Property(tries = 24)
    void aBigInputCostsTimeInProportionToItsSize(@ForAll("bigManifests") Input input) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long before = threads.getCurrentThreadCpuTime();
        assertRefusedOrValid(input);
        long nanos = threads.getCurrentThreadCpuTime() - before;
        long bound = 300_000_000L + 5_000L * input.body().length;
        assertTrue(nanos <= bound, input.body().length + " bytes took " + nanos / 1_000_000 + " ms of CPU; at most "
                + bound / 1_000_000 + " ms");
    }

    private static void assertRefusedOrValid(Input input) {
        VirtualMachineSpec spec;
        VirtualMachineManifest manifest;
        try {
            manifest = ManifestParser.manifest(input.body(), input.contentType());
            spec = ManifestValidator.validate(manifest, "default", null);
        } catch (InvalidManifestException refused) {
            assertTrue(refused.getMessage() != null && !refused.getMessage().isBlank(), "a refusal says why");
            assertTrue(refused.getMessage().length() <= 2_000, () -> "a refusal echoes the input: "
                    + refused.getMessage().length() + " characters: " + refused.getMessage().substring(0, 300));
            assertTrue(refused.field() == null || !refused.field().isBlank(), "a field is named or absent");
            return;
        }
        // valid: checked again it is the same, and a VM can be created from it without a failure
        assertEquals(spec, ManifestValidator.validate(spec));
        VmId id = new VmId("default", manifest.metadata().name());
        Map<String, String> labels = manifest.metadata().labels() == null ? Map.of() : manifest.metadata().labels();
        Decision decision = DECIDER.decide(VmState.empty(id), new VmCommand.Create("r", "p", "u", labels, spec),
                Instant.EPOCH);
        VmState state = VmState.empty(id);
        for (VmEvent event : ((Decision.Accepted) decision).events()) {
            state = state.apply(event);
        }
        assertTrue(state.exists());
        assertTrue(VirtualMachineViews.of(state) != null);
    }

    record Input(byte[] body, String contentType) {
        @Override
        public String toString() {
            String text = new String(body, StandardCharsets.UTF_8);
            return contentType + " " + (text.length() > 300 ? text.substring(0, 300) + "… (" + body.length + " bytes)"
                    : text);
        }
    }

    private static Input json(String text) {
        return new Input(text.getBytes(StandardCharsets.UTF_8), "application/json");
    }

    // --- generators

    @Provide
    Arbitrary<Input> mutatedManifests() {
        return Combinators.combine(Arbitraries.of(ManifestParserTest.VALID_JSON, ManifestParserTest.VALID_YAML),
                Arbitraries.longs(), Arbitraries.integers().between(1, 12)).as((base, seed, edits) -> {
                    Random random = new Random(seed);
                    StringBuilder text = new StringBuilder(base);
                    for (int i = 0; i < edits; i++) {
                        int at = random.nextInt(text.length() + 1);
                        switch (random.nextInt(5)) {
                            case 0 -> text.insert(at, TOKENS.get(random.nextInt(TOKENS.size())));
                            case 1 -> text.insert(at, (char) random.nextInt(0x500));
                            case 2 -> text.delete(at, Math.min(text.length(), at + 1 + random.nextInt(8)));
                            case 3 -> text.insert(at, "\"" + FIELDS.get(random.nextInt(FIELDS.size())) + "\": ");
                            default -> {
                                int from = random.nextInt(text.length());
                                text.insert(at, text.substring(from, Math.min(text.length(), from + random.nextInt(40))));
                            }
                        }
                    }
                    boolean yaml = base == ManifestParserTest.VALID_YAML;
                    return new Input(text.toString().getBytes(StandardCharsets.UTF_8),
                            yaml ? "application/yaml" : "application/json");
                });
    }

    /** A manifest built field by field, each field absent or of any type: the shapes a mutation rarely reaches. */
    @Provide
    Arbitrary<Input> shapedManifests() {
        return Combinators.combine(Arbitraries.longs(), Arbitraries.of(true, false)).as((seed, yaml) -> {
            Random random = new Random(seed);
            JsonNodeFactory f = JsonNodeFactory.instance;
            ObjectNode vm = f.objectNode();
            maybe(random, vm, "apiVersion", f.textNode(VirtualMachineManifest.API_VERSION));
            maybe(random, vm, "kind", f.textNode(VirtualMachineManifest.KIND));
            ObjectNode meta = f.objectNode();
            maybe(random, meta, "name", f.textNode(random.nextBoolean() ? "web-" + random.nextInt(99) : text(random)));
            maybe(random, meta, "namespace", f.textNode(random.nextBoolean() ? "default" : text(random)));
            maybe(random, meta, "labels", map(random));
            maybe(random, meta, "annotations", map(random));
            maybe(random, meta, "uid", any(random, 1));
            maybe(random, vm, "metadata", meta);
            ObjectNode spec = f.objectNode();
            maybe(random, spec, "runStrategy", f.textNode(random.nextBoolean() ? "Always" : text(random)));
            maybe(random, spec, "cpu", f.objectNode().set("cores", random.nextBoolean()
                    ? f.numberNode(random.nextInt(2000) - 10) : any(random, 1)));
            maybe(random, spec, "memory", random.nextBoolean()
                    ? f.textNode(random.nextInt(100_000) + List.of("", "Ki", "Mi", "Gi", "Ti", "Ei", "m", "G")
                    .get(random.nextInt(8))) : any(random, 1));
            ObjectNode boot = f.objectNode();
            maybe(random, boot, "kernel", random.nextBoolean() ? f.textNode("vmlinuz") : any(random, 1));
            maybe(random, boot, "initrd", any(random, 1));
            maybe(random, boot, "cmdline", random.nextBoolean() ? f.textNode("c".repeat(random.nextInt(5000)))
                    : any(random, 1));
            maybe(random, spec, "boot", boot);
            ArrayNode disks = f.arrayNode();
            for (int i = random.nextInt(random.nextBoolean() ? 4 : 40); i > 0; i--) {
                disks.add(random.nextInt(10) == 0 ? any(random, 1) : f.objectNode()
                        .put("name", random.nextBoolean() ? "d" + random.nextInt(50) : text(random))
                        .put("image", random.nextBoolean() ? "root.qcow2" : text(random)));
            }
            maybe(random, spec, "disks", disks);
            maybe(random, spec, "nodeSelector", map(random));
            maybe(random, spec, "evictionStrategy", f.textNode(random.nextBoolean() ? "LiveMigrate" : text(random)));
            maybe(random, spec, "terminationGracePeriodSeconds", random.nextBoolean()
                    ? f.numberNode(random.nextInt(200_000) - 10) : any(random, 1));
            if (random.nextInt(8) == 0) {
                spec.set(FIELDS.get(random.nextInt(FIELDS.size())), any(random, 2));
            }
            maybe(random, vm, "spec", spec);
            try {
                return new Input((yaml ? Json.yaml() : Json.mapper()).writeValueAsBytes(vm),
                        yaml ? "application/yaml" : "application/json");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Provide
    Arbitrary<Input> anyText() {
        return Combinators.combine(Arbitraries.strings().ofMaxLength(400), Arbitraries.of(true, false))
                .as((text, yaml) -> new Input(text.getBytes(StandardCharsets.UTF_8),
                        yaml ? "application/yaml" : "application/json"));
    }

    /** Near 1 MiB, in the shapes that cost most per byte. */
    @Provide
    Arbitrary<Input> bigManifests() {
        return Combinators.combine(Arbitraries.integers().between(0, 7), Arbitraries.integers().between(100_000, 1_000_000),
                Arbitraries.of(true, false)).as((shape, size, yaml) -> {
                    String vm = ManifestParserTest.VALID_JSON;
                    String body = switch (shape) {
                        case 0 -> vm.replace("256Mi", "9".repeat(size));
                        case 1 -> vm.replace("256Mi", "1." + "5".repeat(size) + "Mi");
                        case 2 -> vm.replace("\"cores\": 2", "\"cores\": " + "7".repeat(size));
                        case 3 -> vm.replace("\"web\"}", "\"" + "w".repeat(size) + "\"}");
                        case 4 -> vm.replace("\"app\": \"web\"", entries(size / 16));
                        case 5 -> vm.replace("\"spec\"", "\"status\": " + "[".repeat(size / 2) + "]".repeat(size / 2)
                                + ", \"spec\"");
                        case 6 -> vm.replace("\"memory\"", "\"boot\": {\"kernel\": \"k\", \"cmdline\": \""
                                + "c ".repeat(size / 2) + "\"}, \"memory\"");
                        default -> vm.replace("\"web-1\"", "\"" + "a-".repeat(size / 2) + "a\"");
                    };
                    if (yaml && shape != 5) {
                        return new Input(body.getBytes(StandardCharsets.UTF_8), "application/yaml");
                    }
                    return json(body);
                });
    }

    private static String entries(int n) {
        StringBuilder json = new StringBuilder();
        for (int i = 0; i < n; i++) {
            json.append(i == 0 ? "" : ", ").append("\"k").append(i).append("\": \"v\"");
        }
        return json.toString();
    }

    private static void maybe(Random random, ObjectNode into, String field, com.fasterxml.jackson.databind.JsonNode value) {
        switch (random.nextInt(8)) {
            case 0 -> { }
            case 1 -> into.putNull(field);
            case 2 -> into.set(field, any(random, 2));
            default -> into.set(field, value);
        }
    }

    private static ObjectNode map(Random random) {
        ObjectNode map = JsonNodeFactory.instance.objectNode();
        for (int i = random.nextInt(random.nextInt(4) == 0 ? 100 : 6); i > 0; i--) {
            String key = random.nextBoolean() ? "k" + random.nextInt(1000) : text(random);
            if (random.nextInt(6) == 0) {
                map.set(key, any(random, 1));
            } else {
                map.put(key, random.nextBoolean() ? "v" + random.nextInt(9) : text(random));
            }
        }
        return map;
    }

    private static com.fasterxml.jackson.databind.JsonNode any(Random random, int depth) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        return switch (random.nextInt(depth > 0 ? 9 : 7)) {
            case 0 -> f.nullNode();
            case 1 -> f.booleanNode(random.nextBoolean());
            case 2 -> f.numberNode(random.nextLong());
            case 3 -> f.numberNode(random.nextDouble() * 1e6);
            case 4 -> f.numberNode(new java.math.BigDecimal("1" + "0".repeat(random.nextInt(60)) + ".5"));
            case 5, 6 -> f.textNode(text(random));
            case 7 -> {
                ArrayNode a = f.arrayNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    a.add(any(random, depth - 1));
                }
                yield a;
            }
            default -> {
                ObjectNode o = f.objectNode();
                for (int i = random.nextInt(4); i > 0; i--) {
                    o.set(FIELDS.get(random.nextInt(FIELDS.size())), any(random, depth - 1));
                }
                yield o;
            }
        };
    }

    /** Text of any kind: empty, spaces, control characters, non-Latin letters, surrogates, long. */
    private static String text(Random random) {
        int length = random.nextInt(10) == 0 ? random.nextInt(5000) : random.nextInt(20);
        StringBuilder s = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            s.append(switch (random.nextInt(6)) {
                case 0 -> (char) random.nextInt(0x20);
                case 1 -> (char) (0x400 + random.nextInt(0x100));
                case 2 -> (char) (0xd800 + random.nextInt(0x800));
                case 3 -> ' ';
                default -> (char) ('a' + random.nextInt(26));
            });
        }
        return s.toString();
    }
}
