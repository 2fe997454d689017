package dev.vireo.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "apply", description = "Create a VM from a manifest, or replace the spec of the VM of that name.")
final class ApplyCommand extends ClientCommand {
    @Option(names = {"-f", "--filename"}, paramLabel = "FILE", required = true,
            description = "Manifest in YAML or JSON; '-' reads stdin. Several YAML documents may be separated by ---.")
    String file;

    @Mixin
    WaitOptions waiting;

    @Override
    void run() {
        List<ObjectNode> manifests = ManifestReader.read(file, System.in);
        for (ObjectNode manifest : manifests) {
            apply(manifest);
        }
    }

    private void apply(ObjectNode manifest) {
        String name = Formats.text(manifest, "metadata", "name");
        String namespace = namespaceOf(manifest);
        String path = VireoClient.vmPath(namespace, name);
        PhaseWatch watch = waiting.wait ? PhaseWatch.open(client(), namespace, name, out()) : null;
        try {
            JsonNode result;
            try {
                result = client().send("POST", VireoClient.vmsPath(namespace), manifest);
                say("virtualmachine/" + name + " created");
            } catch (ApiError e) {
                if (e.status() != 409) {
                    throw e;
                }
                result = replace(manifest, path, e);
                say("virtualmachine/" + name + " configured");
            }
            if (watch != null) {
                String runStrategy = Formats.text(result, "spec", "runStrategy");
                watch.await(Goal.forRunStrategy(runStrategy != null ? runStrategy
                        : Formats.text(manifest, "spec", "runStrategy")), waiting.timeout);
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
        }
    }

    /** The VM exists: PUT the manifest with the resourceVersion the server has now. */
    private JsonNode replace(ObjectNode manifest, String path, ApiError conflict) {
        JsonNode current = client().find(path).orElseThrow(() -> conflict);
        ObjectNode replacement = manifest.deepCopy();
        String resourceVersion = Formats.text(current, "metadata", "resourceVersion");
        if (resourceVersion != null) {
            replacement.with("metadata").put("resourceVersion", resourceVersion);
        }
        return client().send("PUT", path, replacement);
    }

    /** The manifest's namespace wins unless -n names another: then the user must decide. */
    private String namespaceOf(ObjectNode manifest) {
        String inManifest = Formats.text(manifest, "metadata", "namespace");
        boolean explicit = spec.commandLine().getParseResult().hasMatchedOption("--namespace");
        if (inManifest == null) {
            return namespace();
        }
        if (explicit && !inManifest.equals(namespace())) {
            throw new CommandFailure(CommandFailure.REJECTED, "the manifest says namespace " + inManifest
                    + " but -n says " + namespace() + "; drop one of them");
        }
        return inManifest;
    }
}
