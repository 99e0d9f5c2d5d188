package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;

/**
 * Which pods and interfaces Spinneret serves, against the real API server with Multus' published
 * NetworkAttachmentDefinition CRD and the webhooks exactly as the chart renders them (matchConditions included):
 * first with {@code ipam.primaryNetwork=true} (the harness's default), then with the service restarted as
 * {@code ipam.primaryNetwork=false}; in each mode also with every replica stopped. Restores the default mode for
 * the tests that run after it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("api-server")
class MultusIT {
    static final String NS = "multus";
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
        TestNamespace.create(cluster, NS);
        TestNamespace.createWithDefaultPool(cluster, "multus-dflt", "mx-ns-v4");
        cluster.kubectlApply(Yaml.pool("mx-macvlan-v4", "10.180.0.0/16", "10.180.1.10-10.180.1.40")).ok();
        cluster.kubectlApply(Yaml.pool("mx-ipvlan-v4", "10.181.0.0/16", "10.181.1.10-10.181.1.40")).ok();
        cluster.kubectlApply(Yaml.pool("mx-eth0-v4", "10.182.0.0/16", "10.182.1.10-10.182.1.40")).ok();
        cluster.kubectlApply(Yaml.pool("mx-ns-v4", "10.183.0.0/16", "10.183.1.10-10.183.1.40")).ok();
        cluster.kubectlApply(nad("kube-system", "macvlan-ens224", """
                {"cniVersion":"1.0.0","name":"macvlan-ens224","plugins":[{"type":"macvlan","master":"ens224",
                 "mode":"bridge","ipam":{"type":"spinneret","default_ipv4_ippool":["mx-macvlan-v4"]}}]}""")).ok();
        cluster.kubectlApply(nad(NS, "ipvlan-ens256", """
                {"cniVersion":"0.3.1","type":"ipvlan","master":"ens256",
                 "ipam":{"type":"spiderpool","default_ipv4_ippool":["mx-ipvlan-v4"]}}""")).ok();
        cluster.kubectlApply(nad(NS, "whereabouts", """
                {"cniVersion":"1.0.0","type":"macvlan","master":"ens224",
                 "ipam":{"type":"whereabouts","range":"10.189.0.0/24"}}""")).ok();
    }

    @AfterAll
    static void restoreDefaultMode() {
        restart(true);
    }

    static void restart(boolean primary) {
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "start",
                RealCluster.DIR.toString(), "2"), 300, Map.of("SPINNERET_GC_ORPHAN_TTL", "10s",
                        "SPINNERET_GC_INTERVAL", "5s", "SPINNERET_PRIMARY_NETWORK", Boolean.toString(primary)));
    }

    static void stopService() {
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "stop-service",
                RealCluster.DIR.toString()), 60);
    }

    static String nad(String ns, String name, String config) {
        return """
                apiVersion: k8s.cni.cncf.io/v1
                kind: NetworkAttachmentDefinition
                metadata:
                  name: %s
                  namespace: %s
                spec:
                  config: '%s'
                """.formatted(name, ns, config.replace("\n", ""));
    }

    static String pod(String ns, String name, Map<String, String> annotations, boolean hostNetwork) {
        List<String> lines = new ArrayList<>();
        annotations.forEach((k, v) -> lines.add("    " + k + ": '" + v + "'"));
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  annotations:
                %s
                spec:
                  hostNetwork: %s
                  containers:
                  - name: c
                    image: nginx
                """.formatted(name, ns, lines.isEmpty() ? "    spinneret.dev/none: \"\"" : String.join("\n", lines),
                hostNetwork);
    }

    static RealCluster.Result create(String ns, String name, Map<String, String> annotations) {
        return cluster.kubectlApply(pod(ns, name, annotations, false));
    }

    static JsonNode reservation(String ns, String name) {
        Pod p = cluster.client().pods().inNamespace(ns).withName(name).get();
        assertTrue(p != null, "pod " + ns + "/" + name + " exists");
        return Pods.reservation(p);
    }

    static List<String> interfaces(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.get("interfaces").forEach(i -> out.add(i.get("interface").asText() + "=" + i.get("ipv4Pool").asText()));
        return out;
    }

    @Test
    @Order(1)
    void primaryModeServesEth0OfEveryPodAndTheMultusInterfaces() {
        // a plain pod is served on eth0: with a namespace default pool it gets one, without any pool it is refused
        create("multus-dflt", "p-plain", Map.of()).ok();
        assertEquals(List.of("eth0=mx-ns-v4"), interfaces(reservation("multus-dflt", "p-plain")));
        var refused = create(NS, "p-nopool", Map.of());
        assertNotEquals(0, refused.code());
        assertTrue(refused.err().contains("no IP pool applies to interface eth0"), refused.err());
        // eth0 from the pod's own ippool, net1 from the network's default_ipv4_ippool, no other annotation
        create(NS, "p-multus", Map.of("ipam.spidernet.io/ippool", "{\"ipv4\":[\"mx-eth0-v4\"]}",
                "k8s.v1.cni.cncf.io/networks", "kube-system/macvlan-ens224@net1")).ok();
        assertEquals(List.of("eth0=mx-eth0-v4", "net1=mx-macvlan-v4"), interfaces(reservation(NS, "p-multus")));
        // the webhooks as the chart renders them in this mode
        String mutating = cluster.kubectl("get", "mutatingwebhookconfiguration", "-l",
                "app.kubernetes.io/name=spinneret", "-o", "json").ok().out();
        assertTrue(mutating.contains("not-host-network") && !mutating.contains("names-spinneret-or-multus"),
                mutating);
    }

    @Test
    @Order(2)
    void primaryModeWithEveryReplicaDownBlocksOrdinaryPodsButNotHostNetworkOnes() {
        stopService();
        var r = create(NS, "down-plain", Map.of());
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("failed calling webhook \"mutate-pod.spinneret.dev\""), r.err());
        cluster.kubectlApply(pod(NS, "down-host", Map.of(), true)).ok();
        assertNull(Pods.reservation(cluster.client().pods().inNamespace(NS).withName("down-host").get()));
        cluster.kubectlApply(pod("kube-system", "down-system", Map.of(), false)).ok();
        cluster.kubectl("delete", "pod", "down-system", "-n", "kube-system", "--wait=false").ok();
    }

    @Test
    @Order(3)
    void secondaryModeServesOnlyTheInterfacesThatUseSpinneret() {
        restart(false);
        // the user story: kubectl run succeeds and the pod is untouched
        cluster.kubectl("run", "plain", "-n", NS, "--image=busybox").ok();
        assertNull(reservation(NS, "plain"));
        // namespace defaults alone do not make a pod Spinneret's
        create("multus-dflt", "s-plain", Map.of()).ok();
        assertNull(reservation("multus-dflt", "s-plain"));
        // a Multus pod gets exactly its net1 address from the network's default pool, with no Spinneret annotation
        create(NS, "s-net1", Map.of("k8s.v1.cni.cncf.io/networks", "kube-system/macvlan-ens224@net1")).ok();
        JsonNode r = reservation(NS, "s-net1");
        assertEquals(List.of("net1=mx-macvlan-v4"), interfaces(r));
        String addr = r.at("/interfaces/0/ipv4").asText();
        assertTrue(addr.startsWith("10.180.1.") && addr.endsWith("/16"), addr);
        assertEquals(r.get("id").asText(), AllocationLedger.decode(IpFamily.V4, Pods.ledger(cluster.client(),
                "mx-macvlan-v4")).owner(IpAddress.parse(addr.substring(0, addr.indexOf('/')))).orElse(null),
                "the pool's ledger holds net1's address for this reservation");
        // two Spinneret networks: two interfaces with Multus' names; the network of another IPAM is skipped
        create(NS, "s-two", Map.of("k8s.v1.cni.cncf.io/networks",
                "kube-system/macvlan-ens224, whereabouts, ipvlan-ens256")).ok();
        assertEquals(List.of("net1=mx-macvlan-v4", "net3=mx-ipvlan-v4"), interfaces(reservation(NS, "s-two")));
        // only another IPAM: untouched
        create(NS, "s-other", Map.of("k8s.v1.cni.cncf.io/networks", "whereabouts@net1")).ok();
        assertNull(reservation(NS, "s-other"));
        // a static address from the JSON form is granted exactly
        create(NS, "s-static", Map.of("k8s.v1.cni.cncf.io/networks",
                "[{\"name\":\"ipvlan-ens256\",\"interface\":\"data0\",\"ips\":[\"10.181.1.33/16\"]}]")).ok();
        assertEquals("10.181.1.33/16", reservation(NS, "s-static").at("/interfaces/0/ipv4").asText());
        // an unknown network is refused naming it
        var unknown = create(NS, "s-unknown", Map.of("k8s.v1.cni.cncf.io/networks", "nope@net1"));
        assertNotEquals(0, unknown.code());
        assertTrue(unknown.err().contains("multus/nope") && unknown.err().contains("does not exist"), unknown.err());
        // the pod's own pool annotation still serves eth0
        create(NS, "s-own", Map.of("ipam.spidernet.io/ippool", "{\"ipv4\":[\"mx-eth0-v4\"]}")).ok();
        assertEquals(List.of("eth0=mx-eth0-v4"), interfaces(reservation(NS, "s-own")));
        String mutating = cluster.kubectl("get", "mutatingwebhookconfiguration", "-l",
                "app.kubernetes.io/name=spinneret", "-o", "json").ok().out();
        assertTrue(mutating.contains("names-spinneret-or-multus"), mutating);
    }

    @Test
    @Order(4)
    void secondaryModeWithEveryReplicaDownBlocksOnlyPodsThatNeedSpinneret() {
        stopService();
        cluster.kubectl("run", "down-ordinary", "-n", NS, "--image=busybox").ok();
        create("multus-dflt", "down-ordinary-ns", Map.of()).ok();
        // any pod naming a Multus network goes to the webhook (which network uses Spinneret is read there)
        assertNotEquals(0, create(NS, "down-other-ipam", Map.of("k8s.v1.cni.cncf.io/networks", "whereabouts@net1"))
                .code());
        var r = create(NS, "down-multus", Map.of("k8s.v1.cni.cncf.io/networks", "kube-system/macvlan-ens224@net1"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("failed calling webhook \"mutate-pod.spinneret.dev\""), r.err());
        // updates of pods without a reservation do not reach the (stopped) validating webhook either
        cluster.kubectl("label", "pod", "down-ordinary", "-n", NS, "x=y").ok();
        // and workloads whose pod template names no Spinneret annotation are not sent to the workload webhook
        cluster.kubectlApply(Yaml.deployment(NS, "down-deploy", 1, null)).ok();
        var refusedWorkload = cluster.kubectlApply(Yaml.deployment(NS, "down-deploy-pool", 1,
                "{\"ipv4\":[\"mx-eth0-v4\"]}"));
        assertNotEquals(0, refusedWorkload.code());
        assertTrue(refusedWorkload.err().contains("validate-workload.spinneret.dev"), refusedWorkload.err());
    }
}
