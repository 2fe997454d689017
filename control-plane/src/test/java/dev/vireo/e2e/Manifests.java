package dev.vireo.e2e;

import java.util.UUID;

/** VirtualMachine manifests as a user writes them; names are unique because libvirt's test driver is shared. */
final class Manifests {

    private Manifests() {
    }

    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    static String json(String name, String runStrategy) {
        return json(name, runStrategy, "64Mi");
    }

    static String json(String name, String runStrategy, String memory) {
        return """
                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine",
                 "metadata": {"name": "%s", "labels": {"suite": "e2e"}},
                 "spec": {"runStrategy": "%s", "cpu": {"cores": 1}, "memory": "%s"}}
                """.formatted(name, runStrategy, memory);
    }

    static String yaml(String name, String runStrategy) {
        return """
                apiVersion: vireo.dev/v1
                kind: VirtualMachine
                metadata:
                  name: %s
                  namespace: default
                  labels: {suite: e2e}
                spec:
                  runStrategy: %s
                  cpu: {cores: 1}
                  memory: 64Mi
                  terminationGracePeriodSeconds: 5
                """.formatted(name, runStrategy);
    }
}
