package dev.spinneret.admission;

import static io.restassured.RestAssured.given;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import java.util.Base64;
import java.util.UUID;

/** Builds AdmissionReview requests the way the API server sends them, and posts them with rest-assured. */
public final class Reviews {
    public static final ObjectMapper M = new ObjectMapper();

    private Reviews() {
    }

    public static ObjectNode pool(String name, String subnet, String... ips) {
        ObjectNode o = M.createObjectNode();
        o.put("apiVersion", "spiderpool.spidernet.io/v2beta1").put("kind", "SpiderIPPool");
        o.putObject("metadata").put("name", name);
        ObjectNode spec = o.putObject("spec");
        spec.put("subnet", subnet);
        var arr = spec.putArray("ips");
        for (String ip : ips) {
            arr.add(ip);
        }
        return o;
    }

    public static ObjectNode subnet(String name, String subnet, String... ips) {
        ObjectNode o = pool(name, subnet, ips);
        o.put("kind", "SpiderSubnet");
        return o;
    }

    public static String review(String kind, String operation, ObjectNode object, ObjectNode oldObject, boolean dryRun) {
        ObjectNode root = M.createObjectNode();
        root.put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview");
        ObjectNode req = root.putObject("request");
        req.put("uid", UUID.randomUUID().toString());
        req.putObject("kind").put("group", kind.equals("Pod") ? "" : "spiderpool.spidernet.io")
                .put("version", kind.equals("Pod") ? "v1" : "v2beta1").put("kind", kind);
        req.put("operation", operation);
        if (object != null) {
            req.put("name", object.path("metadata").path("name").asText());
            if (object.path("metadata").has("namespace")) {
                req.put("namespace", object.path("metadata").path("namespace").asText());
            }
            req.set("object", object);
        }
        if (oldObject != null) {
            req.set("oldObject", oldObject);
        }
        req.put("dryRun", dryRun);
        req.putObject("userInfo").put("username", "admin");
        return root.toString();
    }

    /** The port of the management interface (health, metrics) in tests. */
    public static int managementPort() {
        return org.eclipse.microprofile.config.ConfigProvider.getConfig()
                .getOptionalValue("quarkus.management.test-port", Integer.class).orElse(9001);
    }

    /** Whether the service reports ready on its management interface (where the chart's probes go). */
    public static boolean ready() {
        return given().baseUri("http://localhost").port(managementPort()).get("/q/health/ready").statusCode() == 200;
    }

    public static ValidatableResponse post(String webhook, String body) {
        return given().contentType(ContentType.JSON).body(body).when().post("/admission/" + webhook).then()
                .statusCode(200);
    }

    /** Posts to the mutating webhook and returns the object with the patch applied. */
    public static ObjectNode mutate(String webhook, String kind, ObjectNode object) throws Exception {
        String resp = post(webhook, review(kind, "CREATE", object, null, false)).extract().asString();
        ObjectNode r = (ObjectNode) M.readTree(resp).get("response");
        if (!r.path("allowed").asBoolean()) {
            throw new AssertionError("mutation denied: " + r);
        }
        if (!r.has("patch")) {
            return object;
        }
        var patch = M.readTree(Base64.getDecoder().decode(r.get("patch").asText()));
        return (ObjectNode) io.fabric8.zjsonpatch.JsonPatch.apply(patch, object);
    }
}
