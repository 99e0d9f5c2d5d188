package dev.spinneret.reservation;

import static dev.spinneret.admission.Reviews.M;
import static dev.spinneret.admission.Reviews.post;
import static dev.spinneret.admission.Reviews.review;
import static org.awaitility.Awaitility.await;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.Reviews;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.MultusAnnotations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The pod webhook with {@code ipam.primaryNetwork=false} (Spinneret only for Multus secondary networks), against
 * the fabric8 mock API server: which interfaces are served, from which pools, and which pods are left alone.
 */
@QuarkusTest
@TestProfile(MultusAdmissionTest.SecondaryOnly.class)
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class MultusAdmissionTest {
    public static class SecondaryOnly implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("spinneret.ipam.primary-network", "false");
        }
    }

    static final ResourceDefinitionContext NAD = new ResourceDefinitionContext.Builder().withGroup("k8s.cni.cncf.io")
            .withVersion("v1").withKind("NetworkAttachmentDefinition").withPlural("network-attachment-definitions")
            .withNamespaced(true).build();

    @Inject
    KubernetesClient client;

    @BeforeEach
    void ready() {
        client.resources(SpiderIPPool.class).delete();
        client.genericKubernetesResources(NAD).inAnyNamespace().delete();
        // this profile starts its own Quarkus instance: on a loaded machine its informers take longer than 20 s
        await("the service ready").atMost(Duration.ofSeconds(90)).until(Reviews::ready);
    }

    void nad(String ns, String name, String config) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion("k8s.cni.cncf.io/v1");
        r.setKind("NetworkAttachmentDefinition");
        r.setMetadata(new ObjectMetaBuilder().withNamespace(ns).withName(name).build());
        r.setAdditionalProperty("spec", Map.of("config", config));
        client.genericKubernetesResources(NAD).inNamespace(ns).resource(r).create();
    }

    static String macvlan(String... v4Pools) {
        return "{\"cniVersion\":\"1.0.0\",\"name\":\"m\",\"plugins\":[{\"type\":\"macvlan\",\"master\":\"ens224\","
                + "\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":" + M.valueToTree(v4Pools) + "}}]}";
    }

    static ObjectNode pod(String name, Map<String, String> annotations) {
        ObjectNode pod = PodAdmissionTest.pod(name, null);
        ObjectNode a = pod.with("metadata").putObject("annotations");
        annotations.forEach(a::put);
        return pod;
    }

    /** Waits until the webhook's pool informer has the pool (a dry run through a pod annotation finds it). */
    void awaitPool(String name) {
        await().atMost(Duration.ofSeconds(10)).until(() -> post("mutate-pod", review("Pod", "CREATE",
                PodAdmissionTest.pod("probe", "{\"ipv4\":[\"" + name + "\"]}"), null, true)).extract().asString()
                .contains("\"allowed\":true"));
    }

    JsonNode admitted(ObjectNode pod) throws Exception {
        return PodAdmissionTest.reservedIps(post("mutate-pod", review("Pod", "CREATE", pod, null, false)).extract()
                .asString());
    }

    @Test
    void plainPodIsAllowedUnchanged() {
        PodAdmissionTest.pool(client, "dflt", "10.40.0.0/16", null, "10.40.0.10-10.40.0.20");
        post("mutate-pod", review("Pod", "CREATE", PodAdmissionTest.pod("plain", null), null, false))
                .body("response.allowed", equalTo(true)).body("response.patch", org.hamcrest.Matchers.nullValue());
        assertEquals("", Ledgers.of(client, "dflt"));
    }

    @Test
    void multusPodGetsExactlyItsNet1AddressFromTheNetworksDefaultPool() throws Exception {
        PodAdmissionTest.pool(client, "macvlan-v4", "10.41.0.0/16", "10.41.0.1", "10.41.1.10-10.41.1.20");
        awaitPool("macvlan-v4");
        nad("kube-system", "macvlan-ens224", macvlan("macvlan-v4"));
        JsonNode r = admitted(pod("m1", Map.of(MultusAnnotations.NETWORKS, "kube-system/macvlan-ens224@net1")));
        assertEquals(1, r.get("interfaces").size(), r.toString());
        JsonNode net1 = r.get("interfaces").get(0);
        assertEquals("net1", net1.get("interface").asText());
        assertEquals("10.41.1.10/16", net1.get("ipv4").asText());
        assertEquals("macvlan-v4", net1.get("ipv4Pool").asText());
    }

    @Test
    void twoSpinneretNetworksGiveTwoInterfacesAndOtherIpamIsSkipped() throws Exception {
        PodAdmissionTest.pool(client, "a-v4", "10.42.0.0/16", null, "10.42.0.10-10.42.0.20");
        PodAdmissionTest.pool(client, "b-v4", "10.43.0.0/16", null, "10.43.0.10-10.43.0.20");
        awaitPool("a-v4");
        awaitPool("b-v4");
        nad("default", "net-a", macvlan("a-v4"));
        nad("default", "net-b", macvlan("b-v4"));
        nad("default", "wb", "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"whereabouts\",\"range\":\"10.9.0.0/24\"}}");
        JsonNode r = admitted(pod("m2", Map.of(MultusAnnotations.NETWORKS, "net-a, wb, net-b")));
        assertEquals(2, r.get("interfaces").size(), r.toString());
        assertEquals("net1", r.get("interfaces").get(0).get("interface").asText());
        assertEquals("a-v4", r.get("interfaces").get(0).get("ipv4Pool").asText());
        assertEquals("net3", r.get("interfaces").get(1).get("interface").asText());
        assertEquals("b-v4", r.get("interfaces").get(1).get("ipv4Pool").asText());
        // only the network of another IPAM: untouched
        post("mutate-pod", review("Pod", "CREATE", pod("m3", Map.of(MultusAnnotations.NETWORKS, "wb")), null, false))
                .body("response.allowed", equalTo(true)).body("response.patch", org.hamcrest.Matchers.nullValue());
    }

    @Test
    void unknownOrBrokenNetworkIsRefusedNamingIt() {
        post("mutate-pod", review("Pod", "CREATE", pod("m4", Map.of(MultusAnnotations.NETWORKS, "nope@net1")), null,
                false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("default/nope"))
                .body("response.status.message", containsString("does not exist"));
        nad("default", "broken", "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":\"x\"}}");
        post("mutate-pod", review("Pod", "CREATE", pod("m5", Map.of(MultusAnnotations.NETWORKS, "broken")), null,
                false)).body("response.allowed", equalTo(false))
                .body("response.status.code", equalTo(422))
                .body("response.status.message", containsString("default_ipv4_ippool must be a list"));
    }

    @Test
    void staticIpsAreGrantedInsideAFreePoolAddressAndRefusedOtherwise() throws Exception {
        PodAdmissionTest.pool(client, "st-v4", "10.44.0.0/16", "10.44.0.1", "10.44.0.10-10.44.0.20");
        awaitPool("st-v4");
        nad("default", "st", macvlan("st-v4"));
        String sel = "[{\"name\":\"st\",\"interface\":\"net1\",\"ips\":[\"%s\"]}]";
        JsonNode r = admitted(pod("s1", Map.of(MultusAnnotations.NETWORKS, String.format(sel, "10.44.0.15/16"))));
        assertEquals("10.44.0.15/16", r.get("interfaces").get(0).get("ipv4").asText());
        post("mutate-pod", review("Pod", "CREATE", pod("s2", Map.of(MultusAnnotations.NETWORKS,
                String.format(sel, "10.44.0.15"))), null, false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("10.44.0.15 is already allocated"));
        post("mutate-pod", review("Pod", "CREATE", pod("s3", Map.of(MultusAnnotations.NETWORKS,
                String.format(sel, "10.44.9.9"))), null, false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("lies in none of the interface's usable pools"));
        post("mutate-pod", review("Pod", "CREATE", pod("s4", Map.of(MultusAnnotations.NETWORKS,
                String.format(sel, "10.44.0.16/24"))), null, false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("prefix length 16, not 24"));
        post("mutate-pod", review("Pod", "CREATE", pod("s5", Map.of(MultusAnnotations.NETWORKS,
                String.format(sel, "10.44.0.1"))), null, false)).body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("10.44.0.1"));
    }

    @Test
    void ownPoolAnnotationStillServesEth0() throws Exception {
        PodAdmissionTest.pool(client, "own-v4", "10.45.0.0/16", null, "10.45.0.10-10.45.0.20");
        awaitPool("own-v4");
        JsonNode r = admitted(pod("o1", Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"own-v4\"]}")));
        assertEquals("eth0", r.get("interfaces").get(0).get("interface").asText());
    }
}
