package dev.vireo.kube;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;

/**
 * fabric8's CRUD mock API server on 127.0.0.1, made good enough for the real kubectl (recipes/kubernetes.md):
 * discovery ({@code /version}, {@code /api}, {@code /apis}, {@code /apis/<group>/<version>}) is served from
 * the CRDs stored in the mock, whatever the query; a status write keeps its {@code /status} path when a
 * query follows it; {@code /openapi/v2} is an empty protobuf document.
 */
public final class KubernetesApiMock implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final KubernetesMockServer server;
    private final KubernetesClient client;
    /** TokenReview: the tokens the API server accepts, with the user each is (a UserInfo). */
    private final java.util.Map<String, ObjectNode> tokens = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicInteger reviews = new java.util.concurrent.atomic.AtomicInteger();

    public KubernetesApiMock() {
        var responses = new HashMap<io.fabric8.mockwebserver.ServerRequest, java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
        server = new KubernetesMockServer(new Context(), new MockWebServer(), responses,
                new Discovery(new KubernetesMixedDispatcher(responses), tokens, reviews), false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient();
    }

    KubernetesClient client() {
        return client;
    }

    String url() {
        return "http://127.0.0.1:" + server.getPort();
    }

    /** {@code deploy/crds}, for {@code kubectl apply -f}. */
    public static Path crds() {
        return DeployManifestsTest.DEPLOY.resolve("crds").toAbsolutePath().normalize();
    }

    /** Stores the CRDs of {@code deploy/crds}, so that the status subresource works. */
    KubernetesApiMock withVireoCrds() throws IOException {
        for (String file : new String[]{"virtualmachine.yaml", "virtualmachinemigration.yaml",
                "virtualmachinesnapshot.yaml", "virtualmachinerestore.yaml"}) {
            for (HasMetadata crd : StrictKubernetesModel.load(DeployManifestsTest.DEPLOY.resolve("crds").resolve(file))) {
                client.resource(crd).create();
            }
        }
        return this;
    }

    /** TokenReview answers {@code token} as this user, until {@link #revokeToken}. */
    void acceptToken(String token, String user, String uid, String... groups) {
        ObjectNode info = JSON.createObjectNode().put("username", user).put("uid", uid);
        ArrayNode g = info.putArray("groups");
        for (String group : groups) {
            g.add(group);
        }
        tokens.put(token, info);
    }

    void revokeToken(String token) {
        tokens.remove(token);
    }

    /** How many TokenReviews were asked. */
    int reviews() {
        return reviews.get();
    }

    /** A kubeconfig for this server, as {@code bin/vireo up --kubeconfig} and kubectl read it. */
    public Path writeKubeconfig(Path dir) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: mock
                  cluster:
                    server: %s
                users:
                - name: tester
                  user:
                    token: not-checked
                contexts:
                - name: mock
                  context:
                    cluster: mock
                    user: tester
                    namespace: default
                current-context: mock
                """.formatted(url()));
        return file;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    private static final class Discovery extends Dispatcher {
        private final KubernetesMixedDispatcher crud;
        private final java.util.Map<String, ObjectNode> tokens;
        private final java.util.concurrent.atomic.AtomicInteger reviews;

        Discovery(KubernetesMixedDispatcher crud, java.util.Map<String, ObjectNode> tokens,
                  java.util.concurrent.atomic.AtomicInteger reviews) {
            this.crud = crud;
            this.tokens = tokens;
            this.reviews = reviews;
        }

        /** TokenReview as the API server answers it: the review, with its status filled in. */
        private MockResponse review(RecordedRequest request) throws IOException {
            reviews.incrementAndGet();
            ObjectNode review = (ObjectNode) JSON.readTree(request.getBody().readUtf8());
            ObjectNode user = tokens.get(review.at("/spec/token").asText());
            ObjectNode status = review.putObject("status").put("authenticated", user != null);
            if (user != null) {
                status.set("user", user);
            } else {
                status.put("error", "invalid bearer token");
            }
            return new MockResponse().setResponseCode(201).setHeader("Content-Type", "application/json")
                    .setBody(review.toString());
        }

        @Override
        public MockResponse dispatch(RecordedRequest request) {
            String full = request.getPath();
            int q = full.indexOf('?');
            String path = q < 0 ? full : full.substring(0, q);
            try {
                if (request.method() == HttpMethod.POST && path.equals("/apis/authentication.k8s.io/v1/tokenreviews")) {
                    return review(request);
                }
                if (request.method() == HttpMethod.GET) {
                    switch (path) {
                        case "/version":
                            return json("{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.0\",\"platform\":\"linux/amd64\"}");
                        case "/api":
                            return json("{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],\"serverAddressByClientCIDRs\":"
                                    + "[{\"clientCIDR\":\"0.0.0.0/0\",\"serverAddress\":\"127.0.0.1\"}]}");
                        case "/api/v1":
                            return json("{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":[{\"name\":"
                                    + "\"namespaces\",\"singularName\":\"namespace\",\"namespaced\":false,\"kind\":\"Namespace\","
                                    + "\"verbs\":[\"get\",\"list\",\"create\",\"delete\"]}]}");
                        case "/apis":
                            return json(groups().toString());
                        case "/apis/apiextensions.k8s.io/v1":
                            return json("{\"kind\":\"APIResourceList\",\"groupVersion\":\"apiextensions.k8s.io/v1\","
                                    + "\"resources\":[{\"name\":\"customresourcedefinitions\",\"singularName\":"
                                    + "\"customresourcedefinition\",\"namespaced\":false,\"kind\":\"CustomResourceDefinition\","
                                    + "\"shortNames\":[\"crd\",\"crds\"],\"verbs\":[\"create\",\"delete\",\"get\",\"list\","
                                    + "\"patch\",\"update\",\"watch\"]}]}");
                        case "/openapi/v2":
                            return new MockResponse().setResponseCode(200)
                                    .setHeader("Content-Type", "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
                                    .setBody(new byte[0]);
                        default:
                            if (path.startsWith("/openapi")) {
                                return new MockResponse().setResponseCode(404);
                            }
                            JsonNode resources = resources(path);
                            if (resources != null) {
                                return json(resources.toString());
                            }
                    }
                }
                if (q >= 0 && path.endsWith("/status")) {
                    request = new RecordedRequest(request.getHttpVersion(), request.method(), path, request.getHeaders(),
                            request.getBody());
                }
                return crud.dispatch(request);
            } catch (IOException e) {
                return new MockResponse().setResponseCode(500).setBody(e.toString());
            }
        }

        private JsonNode crds() throws IOException {
            MockResponse r = crud.dispatch(new RecordedRequest("HTTP/1.1", HttpMethod.GET,
                    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", io.fabric8.mockwebserver.http.Headers.builder().build(),
                    new Buffer()));
            return r.code() == 200 ? JSON.readTree(r.getBody().getBytes()).path("items") : JSON.createArrayNode();
        }

        private ObjectNode groups() throws IOException {
            ObjectNode list = JSON.createObjectNode().put("kind", "APIGroupList").put("apiVersion", "v1");
            ArrayNode groups = list.putArray("groups");
            groups.add(group("apiextensions.k8s.io", "v1"));
            java.util.Set<String> seen = new java.util.HashSet<>();
            for (JsonNode crd : crds()) {
                String name = crd.at("/spec/group").asText();
                String version = crd.at("/spec/versions/0/name").asText();
                if (seen.add(name + "/" + version)) {
                    groups.add(group(name, version));
                }
            }
            return list;
        }

        private static ObjectNode group(String name, String version) {
            ObjectNode g = JSON.createObjectNode().put("name", name);
            ObjectNode v = JSON.createObjectNode().put("groupVersion", name + "/" + version).put("version", version);
            g.putArray("versions").add(v);
            g.set("preferredVersion", v.deepCopy());
            return g;
        }

        /** {@code /apis/<group>/<version>} from the stored CRDs; null for any other path. */
        private JsonNode resources(String path) throws IOException {
            String[] parts = path.split("/");
            if (parts.length != 4 || !parts[1].equals("apis")) {
                return null;
            }
            ObjectNode list = JSON.createObjectNode().put("kind", "APIResourceList")
                    .put("apiVersion", "v1").put("groupVersion", parts[2] + "/" + parts[3]);
            ArrayNode resources = list.putArray("resources");
            for (JsonNode crd : crds()) {
                if (!crd.at("/spec/group").asText().equals(parts[2])) {
                    continue;
                }
                JsonNode names = crd.at("/spec/names");
                boolean namespaced = crd.at("/spec/scope").asText().equals("Namespaced");
                ObjectNode r = resources.addObject().put("name", names.path("plural").asText())
                        .put("singularName", names.path("singular").asText()).put("namespaced", namespaced)
                        .put("kind", names.path("kind").asText());
                r.putArray("verbs").add("create").add("delete").add("get").add("list").add("patch").add("update").add("watch");
                if (names.has("shortNames")) {
                    r.set("shortNames", names.get("shortNames"));
                }
                if (names.has("categories")) {
                    r.set("categories", names.get("categories"));
                }
                ObjectNode status = resources.addObject().put("name", names.path("plural").asText() + "/status")
                        .put("singularName", "").put("namespaced", namespaced).put("kind", names.path("kind").asText());
                status.putArray("verbs").add("get").add("patch").add("update");
            }
            return list;
        }

        private static MockResponse json(String body) {
            return new MockResponse().setResponseCode(200).setHeader("Content-Type", "application/json").setBody(body);
        }
    }
}
