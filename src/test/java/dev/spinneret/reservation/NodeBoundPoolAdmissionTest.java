package dev.spinneret.reservation;

import static dev.spinneret.admission.Reviews.M;
import static dev.spinneret.admission.Reviews.post;
import static dev.spinneret.admission.Reviews.review;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pod webhook with node-bound pools (issue #25) against the fabric8 mock API server: a pod whose node is not
 * known yet gets an address from a pool one of whose nodes can take it, and the pool's node rule in its required
 * node affinity; a pod whose own placement contradicts every candidate pool is refused saying why, reserving
 * nothing. Nodes np-a (rack=a, and the master role label of Spiderpool's example), np-b (rack=b), np-c (rack=c,
 * tainted).
 */
@Tag("webhook")
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class NodeBoundPoolAdmissionTest {
    static final String MASTER = "node-role.kubernetes.io/master";
    @Inject
    KubernetesClient client;

    @BeforeEach
    void ready() {
        client.resources(SpiderIPPool.class).delete();
        await().atMost(Duration.ofSeconds(20)).until(dev.spinneret.admission.Reviews::ready);
        node("np-a", Map.of("rack", "a", MASTER, ""), false);
        node("np-b", Map.of("rack", "b"), false);
        node("np-c", Map.of("rack", "c"), true);
    }

    void node(String name, Map<String, String> labels, boolean tainted) {
        var b = new NodeBuilder().withNewMetadata().withName(name).withLabels(labels).endMetadata().withNewSpec();
        if (tainted) {
            b = b.withTaints(new TaintBuilder().withKey("dedicated").withValue("db").withEffect("NoSchedule").build());
        }
        client.nodes().resource(b.endSpec().build()).createOr(r -> r.update());
    }

    void pool(String name, String ip, LabelSelectorRequirement affinity, String... nodeName) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).build());
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        s.subnet = "10.30.0.0/16";
        s.ipVersion = 4L;
        s.ips = List.of(ip);
        if (affinity != null) {
            LabelSelector sel = new LabelSelector();
            sel.setMatchExpressions(List.of(affinity));
            s.nodeAffinity = sel;
        }
        s.nodeName = nodeName.length == 0 ? null : List.of(nodeName);
        p.setSpec(s);
        client.resource(p).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> inCache(name));
    }

    /** The webhook selects from its informer cache: a dry run tells when the pool is in it. */
    boolean inCache(String pool) {
        return !post("mutate-pod", review("Pod", "CREATE", pod("probe", "{\"ipv4\":[\"" + pool + "\"]}"), null,
                true)).extract().asString().contains("no such SpiderIPPool");
    }

    static LabelSelectorRequirement req(String key, String op, String... values) {
        LabelSelectorRequirement r = new LabelSelectorRequirement();
        r.setKey(key);
        r.setOperator(op);
        r.setValues(values.length == 0 ? null : List.of(values));
        return r;
    }

    static ObjectNode pod(String name, String ippool) {
        return PodAdmissionTest.pod(name, ippool);
    }

    /** The pod as the API server stores it after the webhook's patch. */
    static JsonNode admitted(ObjectNode pod, boolean dryRun) throws Exception {
        JsonNode r = M.readTree(post("mutate-pod", review("Pod", "CREATE", pod, null, dryRun)).extract().asString())
                .get("response");
        assertTrue(r.get("allowed").asBoolean(), r.toString());
        JsonNode patch = M.readTree(Base64.getDecoder().decode(r.get("patch").asText()));
        return io.fabric8.zjsonpatch.JsonPatch.apply(patch, pod);
    }

    static JsonNode reservation(JsonNode pod) throws Exception {
        return M.readTree(pod.at("/metadata/annotations").get(IpamAnnotations.RESERVED_IPS).asText())
                .at("/interfaces/0");
    }

    static JsonNode terms(JsonNode pod) {
        return pod.at("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
    }

    String ledger(String pool) {
        return dev.spinneret.ledger.Ledgers.of(client, pool);
    }

    @Test
    void spiderpoolsNodeAffinityDeployExampleGetsOnePodPerPoolEachBoundToItsNodes() throws Exception {
        pool("master-v4", "10.30.41.40", req(MASTER, "Exists"));
        pool("worker-v4", "10.30.42.40", req(MASTER, "DoesNotExist"));
        String both = "{\"ipv4\":[\"master-v4\",\"worker-v4\"]}";
        JsonNode first = admitted(pod("node-affinity-deploy-1", both), false);
        assertEquals("master-v4", reservation(first).get("ipv4Pool").asText());
        assertEquals("10.30.41.40/16", reservation(first).get("ipv4").asText());
        assertEquals(M.readTree("[{\"matchExpressions\":[{\"key\":\"" + MASTER + "\",\"operator\":\"Exists\"}]}]"),
                terms(first));
        // the master pool is full now: the worker pool has the most free addresses
        JsonNode second = admitted(pod("node-affinity-deploy-2", both), false);
        assertEquals("worker-v4", reservation(second).get("ipv4Pool").asText());
        assertEquals(M.readTree("[{\"matchExpressions\":[{\"key\":\"" + MASTER
                + "\",\"operator\":\"DoesNotExist\"}]}]"), terms(second));
        // the result is a valid Pod whose affinity admits exactly the pool's nodes
        Pod typed = client.getKubernetesSerialization().convertValue(second, Pod.class);
        assertEquals("DoesNotExist", typed.getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0)
                .getMatchExpressions().get(0).getOperator());
        // a third replica: both racks are full, refused at once naming both
        var r = M.readTree(post("mutate-pod", review("Pod", "CREATE", pod("node-affinity-deploy-3", both), null,
                false)).extract().asString()).get("response");
        assertFalse(r.get("allowed").asBoolean());
        String msg = r.at("/status/message").asText();
        assertTrue(msg.contains("SpiderIPPool master-v4 is exhausted") && msg.contains("SpiderIPPool worker-v4 is"
                + " exhausted"), msg);
    }

    @Test
    void aPodWhoseOwnPlacementContradictsThePoolIsRefusedSayingWhyAndReservesNothing() throws Exception {
        pool("rack-a", "10.30.1.1", req("rack", "In", "a"));
        ObjectNode pod = pod("elsewhere", "{\"ipv4\":[\"rack-a\"]}");
        ((ObjectNode) pod.get("spec")).putObject("nodeSelector").put("rack", "b");
        var r = M.readTree(post("mutate-pod", review("Pod", "CREATE", pod, null, false)).extract().asString())
                .get("response");
        assertFalse(r.get("allowed").asBoolean());
        assertTrue(r.at("/status/message").asText().contains("rack-a: spec.nodeAffinity (rack In [a]): none of its"
                + " nodes can take this pod (np-a: the pod's nodeSelector/node affinity excludes it)"),
                r.at("/status/message").asText());
        assertEquals("", ledger("rack-a"), "nothing reserved");

        // nodeName naming a node the pool does not serve: the pinned path
        ObjectNode pinned = pod("pinned", "{\"ipv4\":[\"rack-a\"]}");
        ((ObjectNode) pinned.get("spec")).put("nodeName", "np-b");
        r = M.readTree(post("mutate-pod", review("Pod", "CREATE", pinned, null, false)).extract().asString())
                .get("response");
        assertTrue(r.at("/status/message").asText().contains("rack-a: spec.nodeAffinity (rack In [a]) does not match"
                + " node np-b"), r.toString());
        assertEquals("", ledger("rack-a"), "nothing reserved");
    }

    @Test
    void aTaintedRackServesOnlyPodsThatTolerateIt() throws Exception {
        pool("rack-c", "10.30.3.1", req("rack", "In", "c"));
        var r = M.readTree(post("mutate-pod", review("Pod", "CREATE", pod("plain", "{\"ipv4\":[\"rack-c\"]}"), null,
                false)).extract().asString()).get("response");
        assertTrue(r.at("/status/message").asText().contains("np-c: taint dedicated=db:NoSchedule not tolerated"),
                r.toString());
        ObjectNode tolerant = pod("tolerant", "{\"ipv4\":[\"rack-c\"]}");
        ((ObjectNode) tolerant.get("spec")).putArray("tolerations").addObject().put("key", "dedicated")
                .put("operator", "Exists");
        assertEquals("rack-c", reservation(admitted(tolerant, false)).get("ipv4Pool").asText());
    }

    @Test
    void thePodsOwnAffinityIsKeptAndNarrowedAndDryRunShowsItReservingNothing() throws Exception {
        pool("by-name", "10.30.2.1", null, "np-a", "np-b");
        ObjectNode pod = pod("own-affinity", "{\"ipv4\":[\"by-name\"]}");
        ObjectNode affinity = ((ObjectNode) pod.get("spec")).putObject("affinity");
        affinity.putObject("podAntiAffinity").putArray("requiredDuringSchedulingIgnoredDuringExecution").addObject()
                .put("topologyKey", "kubernetes.io/hostname");
        affinity.putObject("nodeAffinity").putObject("requiredDuringSchedulingIgnoredDuringExecution")
                .putArray("nodeSelectorTerms").addObject().putArray("matchExpressions").addObject()
                .put("key", "rack").put("operator", "In").putArray("values").add("b").add("c");
        JsonNode dry = admitted(pod.deepCopy(), true);
        assertEquals("", ledger("by-name"), "a dry run reserves nothing");
        JsonNode stored = admitted(pod, false);
        assertEquals(terms(dry), terms(stored), "the dry run shows the affinity the pod gets");
        // the pod's own term, ANDed with one name of the pool per term (np-c is not in the pool)
        assertEquals(M.readTree("""
                [{"matchExpressions":[{"key":"rack","operator":"In","values":["b","c"]}],
                  "matchFields":[{"key":"metadata.name","operator":"In","values":["np-a"]}]},
                 {"matchExpressions":[{"key":"rack","operator":"In","values":["b","c"]}],
                  "matchFields":[{"key":"metadata.name","operator":"In","values":["np-b"]}]}]"""), terms(stored));
        assertEquals("kubernetes.io/hostname", stored.at("/spec/affinity/podAntiAffinity"
                + "/requiredDuringSchedulingIgnoredDuringExecution/0/topologyKey").asText(), "anti-affinity kept");
    }

    @Test
    void anUnrestrictedPoolAddsNoAffinity() throws Exception {
        pool("anywhere", "10.30.5.1", null);
        JsonNode stored = admitted(pod("plain", "{\"ipv4\":[\"anywhere\"]}"), false);
        assertTrue(stored.at("/spec/affinity").isMissingNode(), stored.toString());
    }

    static ObjectNode deployment(int replicas, String ippool) {
        ObjectNode d = M.createObjectNode();
        d.put("apiVersion", "apps/v1").put("kind", "Deployment");
        d.putObject("metadata").put("name", "racked").put("namespace", "default");
        ObjectNode spec = d.putObject("spec");
        spec.put("replicas", replicas);
        ObjectNode template = spec.putObject("template");
        template.putObject("metadata").putObject("annotations").put(IpamAnnotations.IPPOOL, ippool);
        template.set("spec", pod("x", null).get("spec"));
        return d;
    }

    static JsonNode workloadReview(ObjectNode obj, ObjectNode old) throws Exception {
        JsonNode r = M.readTree(post("validate-workload", review("Deployment", old == null ? "CREATE" : "UPDATE", obj,
                old, false)).extract().asString()).get("response");
        assertTrue(r.get("allowed").asBoolean(), r.toString());
        return r.path("warnings");
    }

    @Test
    void aDeploymentWhoseRackPoolsCannotHoldItsReplicasIsWarnedOnApply() throws Exception {
        pool("cap-a", "10.30.6.1", req("rack", "In", "a"));
        pool("cap-b", "10.30.7.1", req("rack", "In", "b"));
        String both = "{\"ipv4\":[\"cap-a\",\"cap-b\"]}";
        // 2 replicas + the default 25% surge (1) = 3 new pods, 2 free addresses
        JsonNode w = workloadReview(deployment(2, both), null);
        assertEquals(1, w.size(), w.toString());
        assertTrue(w.get(0).asText().startsWith("Deployment default/racked, interface eth0, IPv4: the pools that can"
                + " serve its pods have 2 free addresses (cap-a 1 (node-bound), cap-b 1 (node-bound)) for 3 new pods"
                + " (replicas 2 + surge 1)"), w.toString());
        // 1 replica and no surge fits; so does an update that changes nothing the pods need
        ObjectNode one = deployment(1, both);
        ((ObjectNode) one.get("spec")).putObject("strategy").put("type", "Recreate");
        assertEquals(0, workloadReview(one, null).size());
        assertEquals(0, workloadReview(deployment(2, both), deployment(2, both)).size());
        // scaling 2 → 5 asks for 3 more
        JsonNode scaled = workloadReview(deployment(5, both), deployment(2, both));
        assertTrue(scaled.get(0).asText().contains("for 3 new pods (replicas 2 → 5)"), scaled.toString());
        // the pods' own node selector leaves only rack b: 1 free address for 1 + surge 1
        ObjectNode onB = deployment(1, both);
        ((ObjectNode) onB.at("/spec/template/spec")).putObject("nodeSelector").put("rack", "b");
        JsonNode b = workloadReview(onB, null);
        assertTrue(b.get(0).asText().contains("have 1 free address (cap-b 1 (node-bound)) for 2 new pods")
                && b.get(0).asText().contains("left out: cap-a: spec.nodeAffinity"), b.toString());
    }
}
