package dev.spinneret.reservation;

import static dev.spinneret.admission.Reviews.M;
import static dev.spinneret.admission.Reviews.post;
import static dev.spinneret.admission.Reviews.review;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.Reviews;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.PodIPAllocation;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderEndpointStatus;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderReservedIP;
import dev.spinneret.api.v2beta1.SpiderReservedIPSpec;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.api.v2beta1.SpiderSubnetSpec;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The pod webhook against the fabric8 mock API server: what it writes into pods and ledgers, and every denial.
 * (Concurrency and resourceVersion conflicts are tested against a real kube-apiserver in integration-tests.)
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class PodAdmissionTest {
    @Inject
    KubernetesClient client;

    @BeforeEach
    void ready() {
        client.resources(SpiderIPPool.class).delete();
        client.resources(SpiderReservedIP.class).delete();
        // as MultusAdmissionTest: the caches fill in well over 20 s on a loaded 2-core machine; fails at 90 s
        await("the service ready").atMost(Duration.ofSeconds(90)).until(Reviews::ready);
    }

    static void pool(KubernetesClient c, String name, String subnet, String gateway, String... ips) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).build());
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        s.subnet = subnet;
        s.ipVersion = subnet.contains(":") ? 6L : 4L;
        s.ips = List.of(ips);
        s.gateway = gateway;
        p.setSpec(s);
        c.resource(p).create();
    }

    void awaitPool(String name) {
        await().atMost(Duration.ofSeconds(10)).until(() -> poolSeen(name));
    }

    boolean poolSeen(String name) {
        // the webhook selects from its informer cache: a dry run tells when the pool is in it
        String resp = post("mutate-pod", review("Pod", "CREATE", pod("probe", "{\"ipv4\":[\"" + name + "\"]}"), null,
                true)).extract().asString();
        return resp.contains("\"allowed\":true");
    }

    static ObjectNode pod(String name, String ippool) {
        ObjectNode pod = M.createObjectNode();
        pod.put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata");
        meta.put("name", name).put("namespace", "default");
        if (ippool != null) {
            meta.putObject("annotations").put(IpamAnnotations.IPPOOL, ippool);
        }
        pod.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx");
        return pod;
    }

    static JsonNode reservedIps(String reviewResponse) throws Exception {
        JsonNode r = M.readTree(reviewResponse).get("response");
        assertTrue(r.get("allowed").asBoolean(), r.toString());
        JsonNode patch = M.readTree(Base64.getDecoder().decode(r.get("patch").asText()));
        JsonNode patched = io.fabric8.zjsonpatch.JsonPatch.apply(patch, pod("x", "{}"));
        return M.readTree(patched.at("/metadata/annotations").get(IpamAnnotations.RESERVED_IPS).asText());
    }

    String ledger(String pool) {
        return Ledgers.of(client, pool);
    }

    @Test
    void reservesWritesTheAnnotationAndTheLedgerAndIsIdempotentPerRequest() throws Exception {
        pool(client, "web", "10.20.0.0/16", "10.20.0.1", "10.20.1.10-10.20.1.12");
        awaitPool("web");
        String body = review("Pod", "CREATE", pod("web-1", "{\"ipv4\":[\"web\"]}"), null, false);
        JsonNode first = reservedIps(post("mutate-pod", body).extract().asString());
        JsonNode eth0 = first.get("interfaces").get(0);
        assertEquals("eth0", eth0.get("interface").asText());
        assertEquals("10.20.1.10/16", eth0.get("ipv4").asText());
        assertEquals("web", eth0.get("ipv4Pool").asText());
        assertEquals("10.20.0.1", eth0.get("ipv4Gateway").asText());
        String id = first.get("id").asText();
        assertEquals("10.20.1.10=" + id, ledger("web"));
        assertEquals(1L, Ledgers.settledCount(client, "web"));
        // the very same request again (a retry of this review) holds the same address, takes nothing more
        JsonNode again = reservedIps(post("mutate-pod", body).extract().asString());
        assertEquals(first, again);
        assertEquals("10.20.1.10=" + id, ledger("web"));
    }

    @Test
    void reinvocationWithANewRequestUidKeepsTheReservationButACopyOfAStoredPodIsDenied() throws Exception {
        pool(client, "reinv", "10.28.0.0/16", null, "10.28.0.1-10.28.0.9");
        awaitPool("reinv");
        ObjectNode original = pod("re-1", "{\"ipv4\":[\"reinv\"]}");
        JsonNode r = M.readTree(post("mutate-pod", review("Pod", "CREATE", original, null, false)).extract().asString())
                .get("response");
        JsonNode patched = io.fabric8.zjsonpatch.JsonPatch.apply(
                M.readTree(Base64.getDecoder().decode(r.get("patch").asText())), original);
        // the API server calls us again (new uid) because another webhook changed the pod after us
        post("mutate-pod", review("Pod", "CREATE", (ObjectNode) patched, null, false))
                .body("response.allowed", equalTo(true))
                .body("response.patch", org.hamcrest.Matchers.nullValue());
        assertEquals(1, ledger("reinv").split(",").length);
        // once that pod is stored, a copy of its YAML is not the same pod: refused
        client.resource(client.getKubernetesSerialization().convertValue(patched,
                io.fabric8.kubernetes.api.model.Pod.class)).create();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            ObjectNode copy = ((ObjectNode) patched).deepCopy();
            copy.with("metadata").put("name", "re-copy");
            post("mutate-pod", review("Pod", "CREATE", copy, null, false))
                    .body("response.allowed", equalTo(false))
                    .body("response.status.message", containsString("may not be set by users"));
        });
    }

    @Test
    void dualStackGetsOneAddressOfEachFamilyOnOneInterface() throws Exception {
        pool(client, "ds4", "10.29.0.0/16", "10.29.0.1", "10.29.0.10-10.29.0.12");
        pool(client, "ds6", "fd00:29::/64", "fd00:29::1", "fd00:29::a-fd00:29::c");
        awaitPool("ds4");
        await().atMost(Duration.ofSeconds(10)).until(() -> post("mutate-pod", review("Pod", "CREATE",
                pod("probe6", "{\"ipv6\":[\"ds6\"]}"), null, true)).extract().asString().contains("\"allowed\":true"));
        JsonNode r = reservedIps(post("mutate-pod", review("Pod", "CREATE",
                pod("dual", "{\"ipv4\":[\"ds4\"],\"ipv6\":[\"ds6\"]}"), null, false)).extract().asString());
        JsonNode eth0 = r.at("/interfaces/0");
        assertEquals("10.29.0.10/16", eth0.get("ipv4").asText());
        assertEquals("fd00:29::a/64", eth0.get("ipv6").asText());
        assertEquals("fd00:29::1", eth0.get("ipv6Gateway").asText());
        assertEquals("ds6", eth0.get("ipv6Pool").asText());
        String id = r.get("id").asText();
        assertEquals("fd00:29::a=" + id, ledger("ds6"));
        assertEquals("10.29.0.10=" + id, ledger("ds4"));
    }

    @Test
    void exhaustedPoolIsDeniedWithItsCounts() throws Exception {
        pool(client, "tiny", "10.21.0.0/16", null, "10.21.0.5");
        awaitPool("tiny");
        reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("a", "{\"ipv4\":[\"tiny\"]}"), null, false))
                .extract().asString());
        post("mutate-pod", review("Pod", "CREATE", pod("b", "{\"ipv4\":[\"tiny\"]}"), null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("SpiderIPPool tiny is exhausted (1 of 1"));
    }

    @Test
    void fullPoolFallsThroughToTheNextInTheUsersOrder() throws Exception {
        pool(client, "z-first", "10.22.0.0/16", null, "10.22.0.5");
        pool(client, "a-second", "10.22.0.0/16", null, "10.22.0.6");
        awaitPool("a-second");
        awaitPool("z-first");
        String ann = "{\"ipv4\":[\"z-first\",\"a-second\"]}";
        assertEquals("z-first", reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("a", ann), null, false))
                .extract().asString()).at("/interfaces/0/ipv4Pool").asText());
        assertEquals("a-second", reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("b", ann), null, false))
                .extract().asString()).at("/interfaces/0/ipv4Pool").asText());
    }

    @Test
    void dryRunShowsTheAddressButReservesNothing() throws Exception {
        pool(client, "dry", "10.23.0.0/16", null, "10.23.0.7-10.23.0.9");
        awaitPool("dry");
        JsonNode r = reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("a", "{\"ipv4\":[\"dry\"]}"), null,
                true)).extract().asString());
        assertEquals("10.23.0.7/16", r.at("/interfaces/0/ipv4").asText());
        assertEquals("", ledger("dry"));
    }

    @Test
    void reservedIpsAndTheGatewayAreNeverHandedOut() throws Exception {
        SpiderReservedIP r = new SpiderReservedIP();
        r.setMetadata(new ObjectMetaBuilder().withName("keep").build());
        r.setSpec(new SpiderReservedIPSpec());
        r.getSpec().ipVersion = 4L;
        r.getSpec().ips = List.of("10.24.0.2");
        client.resource(r).create();
        pool(client, "gw", "10.24.0.0/16", "10.24.0.1", "10.24.0.2-10.24.0.3");
        awaitPool("gw");
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            String resp = post("mutate-pod", review("Pod", "CREATE", pod("probe", "{\"ipv4\":[\"gw\"]}"), null, true))
                    .extract().asString();
            return reservedIps(resp).at("/interfaces/0/ipv4").asText().equals("10.24.0.3/16");
        });
        JsonNode got = reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("a", "{\"ipv4\":[\"gw\"]}"), null,
                false)).extract().asString());
        assertEquals("10.24.0.3/16", got.at("/interfaces/0/ipv4").asText());
        post("mutate-pod", review("Pod", "CREATE", pod("b", "{\"ipv4\":[\"gw\"]}"), null, false))
                .body("response.allowed", equalTo(false));
    }

    @Test
    void multiNicWithOneEmptyPoolIsDeniedAndLeavesNothingReserved() throws Exception {
        pool(client, "nic-a", "10.25.0.0/16", null, "10.25.0.5-10.25.0.9");
        pool(client, "nic-b", "10.26.0.0/16", null, "10.26.0.5");
        awaitPool("nic-a");
        awaitPool("nic-b");
        reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("take-b", "{\"ipv4\":[\"nic-b\"]}"), null, false))
                .extract().asString());
        ObjectNode p = pod("multi", null);
        p.with("metadata").putObject("annotations").put(IpamAnnotations.IPPOOLS,
                "[{\"interface\":\"eth0\",\"ipv4\":[\"nic-a\"]},{\"interface\":\"net1\",\"ipv4\":[\"nic-b\"]}]");
        post("mutate-pod", review("Pod", "CREATE", p, null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("net1"));
        assertEquals("", ledger("nic-a"), "eth0's address must have been given back");
    }

    /** {@code ipam.spidernet.io/routes}: a route lands on the interface whose subnet holds its gateway. */
    @Test
    void thePodsOwnRoutesGoToTheInterfaceThatReachesTheirGateway() throws Exception {
        pool(client, "rt-a", "10.27.0.0/16", "10.27.0.1", "10.27.0.5-10.27.0.9");
        pool(client, "rt-b", "10.28.0.0/16", null, "10.28.0.5-10.28.0.9");
        awaitPool("rt-a");
        awaitPool("rt-b");
        ObjectNode p = pod("routed", null);
        p.with("metadata").putObject("annotations")
                .put(IpamAnnotations.IPPOOLS, "[{\"interface\":\"eth0\",\"ipv4\":[\"rt-a\"]},"
                        + "{\"interface\":\"net1\",\"ipv4\":[\"rt-b\"]}]")
                .put("ipam.spidernet.io/routes", "[{\"dst\":\"172.30.0.0/16\",\"gw\":\"10.28.0.1\"},"
                        + "{\"dst\":\"192.168.50.0/24\",\"gw\":\"10.27.0.254\"}]");
        JsonNode r = reservedIps(post("mutate-pod", review("Pod", "CREATE", p, null, false)).extract().asString());
        assertEquals("192.168.50.0/24", r.at("/interfaces/0/routes/0/dst").asText());
        assertEquals("10.27.0.254", r.at("/interfaces/0/routes/0/gw").asText());
        assertEquals(1, r.at("/interfaces/0/routes").size());
        assertEquals("172.30.0.0/16", r.at("/interfaces/1/routes/0/dst").asText());
        assertEquals("10.28.0.1", r.at("/interfaces/1/routes/0/gw").asText());

        // a gateway none of the pod's interfaces can reach: refused, and nothing stays reserved
        String before = ledger("rt-a");
        ObjectNode far = pod("routed-far", "{\"ipv4\":[\"rt-a\"]}");
        ((ObjectNode) far.at("/metadata/annotations")).put("ipam.spidernet.io/routes",
                "[{\"dst\":\"172.30.0.0/16\",\"gw\":\"10.28.0.1\"}]");
        deniedWith(far, "ipam.spidernet.io/routes [0].gw: 10.28.0.1 is in no subnet of the pod's interfaces"
                + " (eth0: 10.27.0.0/16)");
        assertEquals(before, ledger("rt-a"), "the refused pod's address must have been given back");
        // a malformed one is refused before anything is reserved
        ObjectNode bad = pod("routed-bad", "{\"ipv4\":[\"rt-a\"]}");
        ((ObjectNode) bad.at("/metadata/annotations")).put("ipam.spidernet.io/routes", "[{\"dst\":\"x\"}]");
        deniedWith(bad, "ipam.spidernet.io/routes [0]: dst and gw are both required");
        assertEquals(before, ledger("rt-a"));
    }

    /** A workload whose template carries malformed routes is refused when applied, not pod by pod later. */
    @Test
    void aWorkloadWithMalformedRoutesIsRefusedWhenApplied() {
        ObjectNode d = M.createObjectNode();
        d.put("apiVersion", "apps/v1").put("kind", "Deployment");
        d.putObject("metadata").put("name", "routed").put("namespace", "default");
        ObjectNode template = d.putObject("spec").put("replicas", 1).putObject("template");
        template.putObject("metadata").putObject("annotations").put("ipam.spidernet.io/routes",
                "[{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.1\"},{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.2\"}]");
        template.set("spec", pod("x", null).get("spec"));
        post("validate-workload", review("Deployment", "CREATE", d, null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("spec.template.metadata.annotations"))
                .body("response.status.message", containsString("[1].dst: 10.0.0.0/16 is listed twice"));
        ((ObjectNode) template.get("metadata").get("annotations")).put("ipam.spidernet.io/routes",
                "[{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.1\"}]");
        post("validate-workload", review("Deployment", "CREATE", d, null, false))
                .body("response.allowed", equalTo(true));
    }

    @Test
    void noRuleAtAllIsDeniedSayingWhatWasTried() {
        post("mutate-pod", review("Pod", "CREATE", pod("a", null), null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("no IP pool applies"))
                .body("response.status.message", containsString("spec.default: true"));
    }

    @Test
    void malformedAnnotationIsDeniedQuotingIt() {
        post("mutate-pod", review("Pod", "CREATE", pod("a", "{\"ipv4\":\"web\"}"), null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("'{\"ipv4\":\"web\"}'"));
    }

    @Test
    void unknownPoolIsNamed() {
        post("mutate-pod", review("Pod", "CREATE", pod("a", "{\"ipv4\":[\"nope\"]}"), null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("nope: no such SpiderIPPool"));
    }

    @Test
    void forgedReservationIsDenied() {
        ObjectNode p = pod("a", "{\"ipv4\":[\"web\"]}");
        p.with("metadata").with("annotations").put(IpamAnnotations.RESERVED_IPS,
                "{\"id\":\"fake\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.0.0.1/24\"}]}");
        post("mutate-pod", review("Pod", "CREATE", p, null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("may not be set by users"));
    }

    @Test
    void hostNetworkPodsAreLeftAlone() {
        ObjectNode p = pod("a", null);
        p.with("spec").put("hostNetwork", true);
        post("mutate-pod", review("Pod", "CREATE", p, null, false)).body("response.allowed", equalTo(true))
                .body("response.patch", org.hamcrest.Matchers.nullValue());
    }

    @Test
    void editingTheReservationIsDenied() {
        ObjectNode old = pod("a", null);
        old.with("metadata").with("annotations").put(IpamAnnotations.RESERVED_IPS, "{\"id\":\"abc\",\"interfaces\":[]}");
        ObjectNode now = old.deepCopy();
        now.with("metadata").with("annotations").put(IpamAnnotations.RESERVED_IPS, "{\"id\":\"abc\",\"interfaces\":[{}]}");
        post("validate-pod", review("Pod", "UPDATE", now, old, false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("cannot be changed"));
        ObjectNode labelsOnly = old.deepCopy();
        labelsOnly.with("metadata").with("labels").put("x", "y");
        post("validate-pod", review("Pod", "UPDATE", labelsOnly, old, false)).body("response.allowed", equalTo(true));
    }

    @Test
    void distinctRequestsGetDistinctAddresses() throws Exception {
        pool(client, "many", "10.27.0.0/16", null, "10.27.0.1-10.27.0.40");
        awaitPool("many");
        List<String> got = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        List<Thread> threads = new java.util.ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread th = new Thread(() -> {
                for (int i = 0; i < 5; i++) {
                    try {
                        got.add(reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("p" + UUID.randomUUID(),
                                "{\"ipv4\":[\"many\"]}"), null, false)).extract().asString())
                                .at("/interfaces/0/ipv4").asText());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(40, got.size());
        assertEquals(40, new java.util.HashSet<>(got).size(), "duplicate address handed out: " + got);
        assertEquals(40L, Ledgers.settledCount(client, "many"));
        assertNotEquals("", ledger("many"));
    }

    /** A pod whose controller is the object {@code ownerKind} default/app, which is created if missing. */
    ObjectNode ownedPod(String name, String ownerKind, Map<String, String> annotations) {
        return ownedPod(name, ownerKind, annotations, ownerKind == null ? null : ownerUid(ownerKind, "app"));
    }

    static ObjectNode ownedPod(String name, String ownerKind, Map<String, String> annotations, String uid) {
        ObjectNode pod = pod(name, null);
        ObjectNode meta = (ObjectNode) pod.get("metadata");
        annotations.forEach(meta.with("annotations")::put);
        if (ownerKind != null) {
            meta.putArray("ownerReferences").addObject().put("apiVersion", ownerKind.equals("ConfigMap") ? "v1"
                    : "apps/v1").put("kind", ownerKind).put("name", "app").put("uid", uid).put("controller", true);
        }
        return pod;
    }

    /** The uid of default/{@code name} of that kind, created (as a bare object) when it does not exist yet. */
    String ownerUid(String kind, String name) {
        var resources = client.genericKubernetesResources(kind.equals("ConfigMap") ? "v1" : "apps/v1", kind)
                .inNamespace("default");
        var existing = resources.withName(name).get();
        if (existing == null) {
            var o = new io.fabric8.kubernetes.api.model.GenericKubernetesResource();
            o.setApiVersion(kind.equals("ConfigMap") ? "v1" : "apps/v1");
            o.setKind(kind);
            o.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace("default")
                    .withUid(UUID.randomUUID().toString()).build());
            existing = resources.resource(o).create();
        }
        return existing.getMetadata().getUid();
    }

    /**
     * A pod's controller reference is checked against the object it names: another UID (a reference copied from an
     * earlier object, or forged to borrow a workload's pools) or no such object is denied, naming both UIDs; and the
     * owner cache, keyed by everything the reference says, is not fooled by a first lookup with a made-up UID.
     */
    @Test
    void controllerReferencesMustNameTheRealOwner() {
        String real = ownerUid("Deployment", "app");
        String forged = UUID.randomUUID().toString();
        deniedWith(ownedPod("forged-owner", "Deployment", Map.of(), forged), forged,
                "has uid " + real, "Deployment default/app");
        post("mutate-pod", review("Pod", "CREATE", ownedPod("forged-owner", "Deployment", Map.of(), forged), null,
                false)).body("response.allowed", equalTo(false)).body("response.status.code", equalTo(403));
        // the genuine reference passes the owner check after the forged one was looked at (nothing cached under it;
        // the pod may still be denied for want of a pool, which is not what this test is about)
        post("mutate-pod", review("Pod", "CREATE", ownedPod("real-owner", "Deployment", Map.of(), real), null, true))
                .body("response.status.message", org.hamcrest.Matchers.not(containsString("ownerReferences")));
        // and the forged one is still refused after the genuine one was cached
        deniedWith(ownedPod("forged-again", "Deployment", Map.of(), forged), "has uid " + real);
        ObjectNode ghost = ownedPod("ghost-owner", "Deployment", Map.of(), forged);
        ((ObjectNode) ghost.at("/metadata/ownerReferences/0")).put("name", "ghost");
        deniedWith(ghost, "Deployment default/ghost", "does not exist");
    }

    static void deniedWith(ObjectNode pod, String... fragments) {
        var r = post("mutate-pod", review("Pod", "CREATE", pod, null, false)).body("response.allowed", equalTo(false));
        for (String f : fragments) {
            r.body("response.status.message", containsString(f));
        }
    }

    @Test
    void automaticPoolRequestsThatCannotBeServedSayWhy() {
        String v4 = "{\"ipv4\":[\"nope\"]}";
        deniedWith(ownedPod("bare", null, Map.of(IpamAnnotations.SUBNET, v4)), "no controller",
                IpamAnnotations.IPPOOL);
        deniedWith(ownedPod("a", "Deployment", Map.of(IpamAnnotations.SUBNET, v4, "ipam.spidernet.io/ippool-ip-number",
                "2")), "SpiderSubnet nope, which does not exist");
        deniedWith(ownedPod("b", "Deployment", Map.of(IpamAnnotations.SUBNET, "{\"ipv4\":\"nope\"}")),
                "'{\"ipv4\":\"nope\"}'", "expected");
        deniedWith(ownedPod("c", "ConfigMap", Map.of(IpamAnnotations.SUBNET, v4, "ipam.spidernet.io/ippool-ip-number",
                "+1")), "fixed size", "ConfigMap default/app");
        SpiderSubnet six = new SpiderSubnet();
        six.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("six").build());
        six.setSpec(new SpiderSubnetSpec());
        six.getSpec().subnet = "fd00::/64";
        six.getSpec().ipVersion = 6L;
        six.getSpec().ips = java.util.List.of("fd00::10-fd00::20");
        client.resource(six).create();
        deniedWith(ownedPod("d", "Deployment", Map.of(IpamAnnotations.SUBNET, "{\"ipv4\":[\"six\"]}",
                "ipam.spidernet.io/ippool-ip-number", "2")), "under ipv4, but it is an IPv6 subnet");
    }

    @Test
    void theLedgerBindsEachReservationToThePodsNamespaceAndName() throws Exception {
        pool(client, "bound", "10.31.0.0/16", null, "10.31.0.1-10.31.0.9");
        awaitPool("bound");
        JsonNode r = reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("named", "{\"ipv4\":[\"bound\"]}"),
                null, false)).extract().asString());
        String id = r.get("id").asText();
        assertEquals(Map.of(id, "default/named"), Ledgers.holders(client, "bound"));
        // the annotation names the pool's UID, so the CNI plugin finds the block without reading the pool
        assertEquals(client.resources(SpiderIPPool.class).withName("bound").get().getMetadata().getUid(),
                r.at("/poolUIDs/bound").asText());
    }

    @Test
    void aGenerateNamePodIsNamedByTheWebhookAndBoundUnderThatName() throws Exception {
        pool(client, "gen", "10.32.0.0/16", null, "10.32.0.1-10.32.0.9");
        awaitPool("gen");
        ObjectNode p = pod("ignored", "{\"ipv4\":[\"gen\"]}");
        ((ObjectNode) p.get("metadata")).remove("name");
        ((ObjectNode) p.get("metadata")).put("generateName", "web-7d9f-");
        JsonNode resp = M.readTree(post("mutate-pod", review("Pod", "CREATE", p, null, false)).extract().asString())
                .get("response");
        JsonNode patched = io.fabric8.zjsonpatch.JsonPatch.apply(
                M.readTree(Base64.getDecoder().decode(resp.get("patch").asText())), p);
        String name = patched.at("/metadata/name").asText();
        assertTrue(name.matches("web-7d9f-[bcdfghjklmnpqrstvwxz2456789]{5}"), name);
        String id = M.readTree(patched.at("/metadata/annotations").get(IpamAnnotations.RESERVED_IPS).asText())
                .get("id").asText();
        assertEquals(Map.of(id, "default/" + name), Ledgers.holders(client, "gen"));
    }

    @Test
    void anInventedStatefulSetEndpointDoesNotHandOverAnotherPodsAddress() throws Exception {
        pool(client, "stsv", "10.33.0.0/16", null, "10.33.0.1-10.33.0.9");
        awaitPool("stsv");
        JsonNode victim = reservedIps(post("mutate-pod", review("Pod", "CREATE", pod("victim",
                "{\"ipv4\":[\"stsv\"]}"), null, false)).extract().asString());
        String victimId = victim.get("id").asText();
        // an endpoint "evil-0" claiming the victim's reservation, as a node's credentials could write one
        SpiderEndpoint se = new SpiderEndpoint();
        se.setMetadata(new ObjectMetaBuilder().withName("evil-0").withNamespace("default").build());
        se.setStatus(new SpiderEndpointStatus());
        se.getStatus().current = new PodIPAllocation();
        se.getStatus().current.reservationID = victimId;
        se.getStatus().current.uid = "0";
        IPAllocationDetail d = new IPAllocationDetail();
        d.iface = "eth0";
        d.ipv4 = victim.at("/interfaces/0/ipv4").asText();
        d.ipv4Pool = "stsv";
        se.getStatus().current.ips = List.of(d);
        se.getStatus().ownerControllerType = "StatefulSet";
        se.getStatus().ownerControllerName = "app";
        client.resource(se).create();
        ObjectNode evil = ownedPod("evil-0", "StatefulSet", Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"stsv\"]}"));
        JsonNode got = reservedIps(post("mutate-pod", review("Pod", "CREATE", evil, null, false)).extract().asString());
        assertNotEquals(victimId, got.get("id").asText());
        assertNotEquals(victim.at("/interfaces/0/ipv4").asText(), got.at("/interfaces/0/ipv4").asText());
        assertEquals("default/victim", Ledgers.holders(client, "stsv").get(victimId));
    }

    @Test
    void aPodTheWebhookNeverSawIsReservedAfterCreationAndBoundToItself() throws Exception {
        pool(client, "late", "10.34.0.0/16", null, "10.34.0.1-10.34.0.9");
        awaitPool("late");
        // stored without passing the webhook (an excluded namespace, or every replica down)
        io.fabric8.kubernetes.api.model.Pod p = client.getKubernetesSerialization().convertValue(
                pod("unseen", "{\"ipv4\":[\"late\"]}"), io.fabric8.kubernetes.api.model.Pod.class);
        client.resource(p).create();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            var now = client.pods().inNamespace("default").withName("unseen").get();
            assertNotNull(now.getMetadata().getLabels(), "no reservation label yet");
            String id = now.getMetadata().getLabels().get(IpamAnnotations.RESERVATION_LABEL);
            assertNotNull(id, "no reservation label yet");
            JsonNode ann = M.readTree(now.getMetadata().getAnnotations().get(IpamAnnotations.RESERVED_IPS));
            assertEquals(id, ann.get("id").asText());
            assertEquals("10.34.0.1/16", ann.at("/interfaces/0/ipv4").asText());
            assertEquals(Map.of(id, "default/unseen"), Ledgers.holders(client, "late"));
        });
    }

    @Test
    void aPodTheApiServerWouldRefuseForItsNameReservesNothing() throws Exception {
        pool(client, "badname", "10.35.0.0/16", null, "10.35.0.1-10.35.0.2");
        awaitPool("badname");
        ObjectNode p = pod("ignored", "{\"ipv4\":[\"badname\"]}");
        ((ObjectNode) p.get("metadata")).remove("name");
        ((ObjectNode) p.get("metadata")).put("generateName", "Bad_");
        post("mutate-pod", review("Pod", "CREATE", p, null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("is not a valid pod name"));
        assertEquals("", ledger("badname"), "a refused name holds no address");
    }
}
