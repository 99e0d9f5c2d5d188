package dev.spinneret.autopool;

import static dev.spinneret.admission.Reviews.M;
import static dev.spinneret.admission.Reviews.post;
import static dev.spinneret.admission.Reviews.review;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.Reviews;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.api.v2beta1.SpiderSubnetSpec;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * What a user is told when a workload's automatic pool cannot serve a pod (the pod webhook in Quarkus against the
 * fabric8 mock API server, the pods' AdmissionReviews posted as the API server sends them): a rolling update's surge
 * pod finding the pool full, and a pool that cannot grow because its SpiderSubnet has no free addresses — the exact
 * refusal, and the Event recorded on the workload.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class AutoPoolRefusalsTest {
    @Inject
    KubernetesClient client;

    @BeforeEach
    void ready() {
        // as PodAdmissionTest: the caches fill in well over 20 s on a loaded 2-core machine; fails at 90 s
        await("the service ready").atMost(Duration.ofSeconds(90)).until(Reviews::ready);
    }

    void subnet(String name, String cidr, String ips) {
        SpiderSubnet s = new SpiderSubnet();
        s.setMetadata(new ObjectMetaBuilder().withName(name).build());
        s.setSpec(new SpiderSubnetSpec());
        s.getSpec().subnet = cidr;
        s.getSpec().ipVersion = 4L;
        s.getSpec().ips = List.of(ips);
        client.resource(s).create();
    }

    Deployment deployment(String name, int replicas) {
        return client.apps().deployments().inNamespace("default").resource(new DeploymentBuilder().withNewMetadata()
                .withName(name).withNamespace("default").endMetadata().withNewSpec().withReplicas(replicas)
                .withNewSelector().withMatchLabels(Map.of("app", name)).endSelector().withNewTemplate()
                .withNewMetadata().withLabels(Map.of("app", name)).endMetadata().withNewSpec().addNewContainer()
                .withName("c").withImage("nginx").endContainer().endSpec().endTemplate().endSpec().build()).create();
    }

    /** A pod of the Deployment (its controller reference names the real object) asking for its automatic pool. */
    static ObjectNode pod(String name, Deployment owner, String subnet) {
        ObjectNode pod = M.createObjectNode();
        pod.put("apiVersion", "v1").put("kind", "Pod");
        ObjectNode meta = pod.putObject("metadata");
        meta.put("name", name).put("namespace", "default");
        meta.putObject("labels").put("app", owner.getMetadata().getName());
        meta.putObject("annotations").put(IpamAnnotations.SUBNET, "{\"ipv4\":[\"" + subnet + "\"]}")
                .put("ipam.spidernet.io/ippool-ip-number", "+1");
        meta.putArray("ownerReferences").addObject().put("apiVersion", "apps/v1").put("kind", "Deployment")
                .put("name", owner.getMetadata().getName()).put("uid", owner.getMetadata().getUid())
                .put("controller", true);
        pod.putObject("spec").putArray("containers").addObject().put("name", "c").put("image", "nginx");
        return pod;
    }

    /** The webhook's answer to the pod's creation. */
    static JsonNode create(ObjectNode pod) throws Exception {
        return M.readTree(post("mutate-pod", review("Pod", "CREATE", pod, null, false)).extract().asString())
                .get("response");
    }

    SpiderIPPool poolOf(Deployment d) {
        List<SpiderIPPool> pools = client.resources(SpiderIPPool.class).withLabel(AutoPoolLabels.UID,
                AutoPoolLabels.labelValue(d.getMetadata().getUid())).list().getItems();
        assertEquals(1, pools.size(), pools.toString());
        return pools.get(0);
    }

    static long size(SpiderIPPool p) {
        return IpRangeSet.parse(IpFamily.V4, p.getSpec().ips).sizeSaturatedLong();
    }

    /**
     * A Deployment of 2 with {@code ippool-ip-number: "+1"} in a rolling update: its pool has 3 addresses, the 2
     * replicas and the first surge pod take them, and the next surge pod is refused — naming the pool, that it is
     * exhausted and its counts, and that it is the Deployment's automatic pool — until an old pod goes.
     */
    @Test
    void aSurgePodFindingTheAutomaticPoolFullIsRefusedNamingThePoolAndWhy() throws Exception {
        subnet("surge-net", "10.33.0.0/24", "10.33.0.10-10.33.0.40");
        Deployment web = deployment("web", 2);
        for (String name : List.of("web-old-1", "web-old-2", "web-new-1")) {
            JsonNode r = create(pod(name, web, "surge-net"));
            assertTrue(r.get("allowed").asBoolean(), name + ": " + r);
        }
        SpiderIPPool pool = poolOf(web);
        String name = pool.getMetadata().getName();
        assertEquals(3, size(pool), "replicas 2 + 1");

        JsonNode refused = create(pod("web-new-2", web, "surge-net"));

        assertFalse(refused.get("allowed").asBoolean(), refused.toString());
        assertEquals(403, refused.at("/status/code").asInt(), refused.toString());
        assertEquals("no free IPv4 address for interface eth0 (pools from automatic pool of Deployment default/web"
                + " (pod annotation ipam.spidernet.io/subnet): [" + name + "]): SpiderIPPool " + name
                + " is exhausted (3 of 3 addresses allocated)", refused.at("/status/message").asText());
        assertEquals(3, size(poolOf(web)), "the pool did not grow past replicas + 1");
        assertEquals(3, Ledgers.of(client, name).split(",").length, "nothing reserved for the refused pod");
    }

    /**
     * A Deployment scaled from 2 to 4 whose SpiderSubnet has 4 addresses: its pool (3) cannot grow to 4 + 1, so the
     * pod is refused saying how many it needs, has and the subnet lacks, and a Warning Event {@code
     * IPReservationFailed} with that message is recorded on the Deployment (its UID included), where {@code kubectl
     * describe deploy} shows it.
     */
    @Test
    void aPoolThatCannotGrowForWantOfSubnetAddressesIsRefusedWithAnEventOnTheWorkload() throws Exception {
        subnet("short-net", "10.34.0.0/24", "10.34.0.10-10.34.0.13");
        Deployment grow = deployment("grow", 2);
        JsonNode first = create(pod("grow-1", grow, "short-net"));
        assertTrue(first.get("allowed").asBoolean(), first.toString());
        String name = poolOf(grow).getMetadata().getName();
        assertEquals(3, size(poolOf(grow)));
        grow.getSpec().setReplicas(4);
        client.apps().deployments().inNamespace("default").resource(grow).update();

        JsonNode refused = create(pod("grow-2", grow, "short-net"));

        String message = "automatic IPv4 pool of Deployment default/grow for interface eth0 needs 5 addresses"
                + " (replicas 4 + 1), it has 3 and SpiderSubnet short-net has only 1 free; add addresses to the"
                + " subnet or lower ipam.spidernet.io/ippool-ip-number";
        assertFalse(refused.get("allowed").asBoolean(), refused.toString());
        assertEquals(403, refused.at("/status/code").asInt(), refused.toString());
        assertEquals(message, refused.at("/status/message").asText());
        assertEquals(3, size(poolOf(grow)), "the pool was not grown");
        assertEquals(1, Ledgers.of(client, name).split(",").length, "nothing reserved for the refused pod");

        Event e = await("the Event on the Deployment").atMost(Duration.ofSeconds(10)).until(
                () -> client.v1().events().inNamespace("default").list().getItems().stream()
                        .filter(x -> "IPReservationFailed".equals(x.getReason())
                                && "grow".equals(x.getInvolvedObject().getName()))
                        .findFirst().orElse(null), java.util.Objects::nonNull);
        assertEquals("Warning", e.getType());
        assertEquals(message, e.getMessage());
        assertEquals("apps/v1", e.getInvolvedObject().getApiVersion());
        assertEquals("Deployment", e.getInvolvedObject().getKind());
        assertEquals("default", e.getInvolvedObject().getNamespace());
        assertEquals(grow.getMetadata().getUid(), e.getInvolvedObject().getUid());
        assertEquals("spinneret", e.getSource().getComponent());
    }
}
