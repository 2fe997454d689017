package dev.vireo.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Under Kubernetes, a bearer token the token file does not know is checked with TokenReview on the API server:
 * a service account's token is its user (name, uid, groups) for roles and bindings and in the history, a
 * token the API server refuses is a 401, and one revoked there is refused once the kept answer is old.
 */
class TokenReviewTest {

    static final String DEPLOYER = "system:serviceaccount:team-a:deployer";
    static final String NS = "/api/v1/namespaces/team-a";

    @TempDir
    Path dir;

    @Test
    void aTokenTheApiServerAcceptsActsAsItsUserAndIsRefusedOnceRevoked() throws Exception {
        try (KubernetesApiMock kube = new KubernetesApiMock().withVireoCrds()) {
            kube.acceptToken("sa-token-1", DEPLOYER, "4b1f-uid", "system:serviceaccounts", "team-a-deployers");
            try (VireoWithKubernetes vireo = VireoWithKubernetes.start(dir.resolve("data"), kube.writeKubeconfig(dir),
                    Map.of("vireo.auth.token-review", "on", "vireo.auth.token-review-ttl", "1s"))) {
                VireoWithKubernetes.Response unbound = vireo.send("GET", NS + "/virtualmachines", null, "sa-token-1");
                assertEquals(403, unbound.status(), unbound::toString);
                assertTrue(unbound.json().path("message").asText().contains(DEPLOYER), unbound::toString);
                assertEquals(401, vireo.send("GET", NS + "/virtualmachines", null, "a-token-nobody-knows").status());

                assertEquals(201, vireo.send("PUT", NS + "/rolebindings/deployers", """
                        {"role": "editor", "subjects": [{"kind": "Group", "name": "team-a-deployers"}]}""").status());
                VireoWithKubernetes.Response created = VireoWithKubernetes.eventually("the binding to count",
                        Duration.ofSeconds(10), () -> vireo.send("POST", NS + "/virtualmachines", """
                                {"apiVersion": "vireo.dev/v1", "kind": "VirtualMachine", "metadata": {"name": "web"},
                                 "spec": {"runStrategy": "Halted", "cpu": {"cores": 1}, "memory": "64Mi"}}""",
                                "sa-token-1"), r -> r.status() != 403);
                assertEquals(201, created.status(), created::toString);
                JsonNode first = vireo.send("GET", NS + "/virtualmachines/web/history", null).json().path("items").get(0);
                assertEquals(DEPLOYER, first.path("principal").asText(), first::toString);

                int before = kube.reviews();
                for (int i = 0; i < 20; i++) {
                    assertEquals(200, vireo.send("GET", NS + "/virtualmachines", null, "sa-token-1").status());
                }
                assertTrue(kube.reviews() - before <= 3, "answers are kept: " + (kube.reviews() - before) + " reviews");

                kube.revokeToken("sa-token-1");
                VireoWithKubernetes.eventually("the revoked token to be refused", Duration.ofSeconds(10),
                        () -> vireo.send("GET", NS + "/virtualmachines", null, "sa-token-1"), r -> r.status() == 401);
            }
        }
    }
}
