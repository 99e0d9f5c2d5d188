package dev.spinneret.e2e;

import static dev.spinneret.e2e.NodeWorkloads.RUNNING;
import static dev.spinneret.e2e.NodeWorkloads.assertPodIpIsTheReservation;
import static dev.spinneret.e2e.NodeWorkloads.awaitRunning;
import static dev.spinneret.e2e.NodeWorkloads.namespace;
import static dev.spinneret.e2e.NodeWorkloads.namespaceWithPool;
import static dev.spinneret.e2e.NodeWorkloads.running;
import static dev.spinneret.e2e.NodeWorkloads.sleep;
import static dev.spinneret.e2e.NodeWorkloads.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The seed's own pod network on the real nodes (issue #23): Calico's CNI plugin with Spinneret as its IPAM, then
 * Multus with eth0 from that Calico network and macvlan secondaries from NetworkAttachmentDefinitions, each with its
 * own pool. Switches node.sh's network to calico, then multus, and back to the bridge for the classes after it.
 * Skipped when Calico and Multus cannot be built here (no source snapshot: build-cni-plugins.sh exit 3).
 */
@Tag("nodes")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SeedNetworkNodesIT {
    static NodeCluster c;

    @BeforeAll
    static void calico() {
        c = NodeCluster.get();
        RealCluster.Result built = RealCluster.exec(List.of(NodeCluster.script("build-cni-plugins.sh")), null,
                java.util.Map.of(), 1800);
        Assumptions.assumeTrue(built.code() != 3, "Calico and Multus unavailable: " + built.err());
        built.ok();
        c.node("cni", "calico").ok();
    }

    @AfterAll
    static void bridgeAgain() {
        if (c != null) {
            c.node("cni", "spinneret").ok();
        }
    }

    /** The IPv4 addresses of an interface inside the pod's network namespace ({@code ip -4 addr}), with prefix. */
    static Set<String> addressesInPod(String ns, String pod, String iface) {
        String out = c.exec(ns, pod, "ip", "-4", "addr", "show", "dev", iface).ok().out();
        Set<String> found = new HashSet<>();
        Matcher m = Pattern.compile("inet (\\S+)").matcher(out);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }

    static JsonNode entry(Pod p, String iface) {
        for (JsonNode e : Pods.reservation(p).get("interfaces")) {
            if (e.get("interface").asText().equals(iface)) {
                return e;
            }
        }
        throw new AssertionError(p.getMetadata().getName() + " has no reservation for " + iface + ": "
                + Pods.reservation(p));
    }

    static String withoutPrefix(String cidr) {
        return cidr.substring(0, cidr.indexOf('/'));
    }

    static String events(String ns, String pod) {
        return c.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=" + pod, "-o",
                "jsonpath={.items[*].message}").out();
    }

    @Test
    @Order(1)
    void calicoPodsRunOnBothNodesWithTheirReservationAndReachEachOther() {
        namespaceWithPool("seed-calico", "10.244.170.1-10.244.170.20");
        c.kubectlApply(workload("Deployment", "seed-calico", "web", 2,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"seed-calico\"]}'")).ok();
        List<Pod> pods = awaitRunning("seed-calico", "web", 2);
        pods.forEach(NodeWorkloads::assertPodIpIsTheReservation);
        Set<String> nodes = new HashSet<>();
        pods.forEach(p -> nodes.add(p.getSpec().getNodeName()));
        assertEquals(Set.of("node-a", "node-b"), nodes, "spread over both nodes");
        for (Pod p : pods) {
            String name = p.getMetadata().getName();
            String ip = p.getStatus().getPodIP();
            assertEquals(ip + "/16", entry(p, "eth0").get("ipv4").asText(),
                    "the reservation carries the pool's prefix");
            // what Calico makes of the IPAM result (docs/cni.md, "Calico"): the address as a /32, the default
            // route via 169.254.1.1 instead of anything the IPAM returned
            assertEquals(Set.of(ip + "/32"), addressesInPod("seed-calico", name, "eth0"), name);
            String routes = c.exec("seed-calico", name, "ip", "-4", "route").ok().out();
            assertTrue(routes.contains("default via 169.254.1.1 dev eth0"), routes);
            assertTrue(p.getMetadata().getAnnotations().containsKey("cni.projectcalico.org/podIP"),
                    "Calico's plugin recorded its endpoint on the pod: " + p.getMetadata().getAnnotations());
        }
        Pod a = pods.get(0);
        Pod b = pods.get(1);
        c.exec("seed-calico", a.getMetadata().getName(), "ping", "-c", "2", "-W", "3", b.getStatus().getPodIP()).ok();
        RealCluster.Result http = c.exec("seed-calico", b.getMetadata().getName(), "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + a.getStatus().getPodIP() + " 80");
        assertTrue(http.out().startsWith("HTTP/1."), "an HTTP answer across the nodes: " + http);
    }

    @Test
    @Order(2)
    void aCalicoStatefulSetPodKeepsItsAddressAcrossDelete() {
        namespaceWithPool("seed-sts", "10.244.172.1-10.244.172.10");
        c.kubectlApply(workload("StatefulSet", "seed-sts", "db", 2,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"seed-sts\"]}'")).ok();
        awaitRunning("seed-sts", "db", 2).forEach(NodeWorkloads::assertPodIpIsTheReservation);
        Pod before = c.client().pods().inNamespace("seed-sts").withName("db-1").get();
        c.kubectl("-n", "seed-sts", "delete", "pod", "db-1").ok();
        NodeCluster.await("a new db-1 Running", RUNNING, () -> {
            Pod p = c.client().pods().inNamespace("seed-sts").withName("db-1").get();
            return p != null && !p.getMetadata().getUid().equals(before.getMetadata().getUid())
                    && NodeCluster.running(p);
        });
        Pod again = c.client().pods().inNamespace("seed-sts").withName("db-1").get();
        assertPodIpIsTheReservation(again);
        assertEquals(before.getStatus().getPodIP(), again.getStatus().getPodIP(), "db-1 keeps its address");
        assertEquals(Set.of(again.getStatus().getPodIP() + "/32"), addressesInPod("seed-sts", "db-1", "eth0"));
    }

    /**
     * The trust attack on the new path: a pod stored with a verbatim copy of a running pod's reservation (by the
     * strongest forger, as in RealNodesIT) is refused by the plugin under Calico — error 103 from the ledger check,
     * which Calico passes on — and nothing is written: no SpiderEndpoint, no Calico endpoint on the pod, the
     * victim's ledger entry and address untouched.
     */
    @Test
    @Order(3)
    void aCopiedReservationIsRefusedUnderCalicoAndWritesNothing() {
        Pod victim = running("seed-calico", "web").get(0);
        forgeAndExpectRefusal(victim, "forger-calico", "");
    }

    static void forgeAndExpectRefusal(Pod victim, String name, String extraAnnotations) {
        String id = victim.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id");
        String ledgerBefore = Pods.ledger(c.client(), entry(victim, "eth0").get("ipv4Pool").asText());
        String forger = NodeWorkloads.copyOfReservation(victim, name, extraAnnotations);
        c.kubectlApply(forger, "--as=system:serviceaccount:" + NodeCluster.NS + ":spinneret",
                "--as-group=system:masters").ok();
        try {
            NodeCluster.await("the plugin refused " + name, Duration.ofSeconds(120),
                    () -> events("kube-system", name).contains("copied or forged"));
            Pod f = c.client().pods().inNamespace("kube-system").withName(name).get();
            assertFalse(NodeCluster.running(f), name + " never runs");
            assertNull(f.getStatus().getPodIP(), name + " has no address");
            // Calico's DEL after the failed ADD patches its annotations to "" (its endpoint's deletion)
            assertEquals("", f.getMetadata().getAnnotations().getOrDefault("cni.projectcalico.org/podIP", ""),
                    "Calico recorded no address for " + name);
            assertNull(c.client().resources(SpiderEndpoint.class).inNamespace("kube-system").withName(name).get(),
                    "no SpiderEndpoint for " + name);
            assertEquals(ledgerBefore, Pods.ledger(c.client(), entry(victim, "eth0").get("ipv4Pool").asText()),
                    "the ledger is untouched");
        } finally {
            c.kubectl("-n", "kube-system", "delete", "pod", name, "--wait=true").ok();
        }
        sleep(Duration.ofSeconds(3)); // a release of a deleted pod lingers before its write
        Pod still = c.client().pods().inNamespace(victim.getMetadata().getNamespace())
                .withName(victim.getMetadata().getName()).get();
        assertEquals(victim.getStatus().getPodIP(), still.getStatus().getPodIP(), "the victim keeps its address");
        assertTrue(Pods.ledger(c.client(), entry(victim, "eth0").get("ipv4Pool").asText()).contains("=" + id),
                "deleting the copy freed nothing of the victim's");
    }

    /**
     * A macvlan network on the nodes' under0 whose addresses come from Spinneret, default pool {@code pool}; the
     * IPAM type {@code spinneret}, or {@code spiderpool} for a config written for Spiderpool (the installer puts
     * the plugin under both names).
     */
    static String macvlan(String ns, String name, String pool) {
        return macvlan(ns, name, pool, "spinneret");
    }

    static String macvlan(String ns, String name, String pool, String ipamType) {
        return MultusIT.nad(ns, name, """
                {"cniVersion": "1.0.0", "name": "%s", "plugins": [{"type": "macvlan", "master": "under0",
                 "mode": "bridge", "ipam": {"type": "%s", "timeout_seconds": 30,
                 "log_file_path": "/var/log/spinneret/cni.log", "clean_gateway": true,
                 "default_ipv4_ippool": ["%s"]}}]}""".formatted(name, ipamType, pool));
    }

    @Test
    @Order(4)
    void multusPodsGetEveryInterfaceFromItsPoolAsTheReservationSays() {
        c.node("cni", "multus").ok();
        namespace("seed-multus");
        c.kubectlApply(Yaml.pool("seed-eth0", "10.244.0.0/16", "10.244.174.1-10.244.174.20")).ok();
        c.kubectlApply(Yaml.pool("seed-net1", "10.246.1.0/24", "10.246.1.10-10.246.1.30")).ok();
        c.kubectlApply(Yaml.pool("seed-net2", "10.246.2.0/24", "10.246.2.10-10.246.2.30")).ok();
        c.kubectlApply(macvlan("seed-multus", "under-1", "seed-net1")).ok();
        c.kubectlApply(macvlan("seed-multus", "under-2", "seed-net2", "spiderpool")).ok();
        // eth0 named by the pod, net1 and net2 from each network's default_ipv4_ippool
        c.kubectlApply(workload("Deployment", "seed-multus", "two-nad", 2,
                "k8s.v1.cni.cncf.io/networks: under-1@net1, under-2@net2",
                "ipam.spidernet.io/ippools: '[{\"interface\":\"eth0\",\"ipv4\":[\"seed-eth0\"]}]'")).ok();
        List<Pod> pods = awaitRunning("seed-multus", "two-nad", 2);
        Set<String> nodes = new HashSet<>();
        for (Pod p : pods) {
            String name = p.getMetadata().getName();
            nodes.add(p.getSpec().getNodeName());
            assertPodIpIsTheReservation(p);
            assertEquals("seed-eth0", entry(p, "eth0").get("ipv4Pool").asText());
            assertEquals("seed-net1", entry(p, "net1").get("ipv4Pool").asText(), "the NAD's default pool");
            assertEquals("seed-net2", entry(p, "net2").get("ipv4Pool").asText(), "the NAD's default pool");
            assertEquals(Set.of(p.getStatus().getPodIP() + "/32"), addressesInPod("seed-multus", name, "eth0"));
            for (String nic : List.of("net1", "net2")) {
                assertEquals(Set.of(entry(p, nic).get("ipv4").asText()), addressesInPod("seed-multus", name, nic),
                        name + " " + nic + " carries its reserved address with its pool's prefix");
            }
            String status = p.getMetadata().getAnnotations().get("k8s.v1.cni.cncf.io/network-status");
            assertTrue(status != null && status.contains(withoutPrefix(entry(p, "net2").get("ipv4").asText())),
                    "Multus reports net2: " + status);
        }
        assertEquals(Set.of("node-a", "node-b"), nodes, "spread over both nodes");
        // issue 23 #5: the service said once that the NAD CRD was missing (the bridge and calico networks ran without
        // it), picked it up when Multus' network brought it, and logged no list/watch failure for it
        for (Pod replica : c.client().pods().inNamespace(NodeCluster.NS)
                .withLabel("app.kubernetes.io/component", "controller").list().getItems()) {
            String name = replica.getMetadata().getName();
            NodeCluster.await(name + " picked up the NetworkAttachmentDefinition CRD", Duration.ofSeconds(90),
                    () -> c.kubectl("-n", NodeCluster.NS, "logs", name).out()
                            .contains("NetworkAttachmentDefinition API (k8s.cni.cncf.io/v1) appeared"));
            String log = c.kubectl("-n", NodeCluster.NS, "logs", name).out();
            assertFalse(log.contains("listSyncAndWatch failed for k8s.cni.cncf.io"), name + " logged a retry");
        }
        // the macvlan L2 joins the nodes: net1 to net1 across them, and eth0 still across Calico's routes
        Pod a = pods.get(0);
        Pod b = pods.get(1);
        c.exec("seed-multus", a.getMetadata().getName(), "ping", "-c", "2", "-W", "3", "-I", "net1",
                withoutPrefix(entry(b, "net1").get("ipv4").asText())).ok();
        c.exec("seed-multus", b.getMetadata().getName(), "ping", "-c", "2", "-W", "3",
                a.getStatus().getPodIP()).ok();
    }

    /**
     * All or nothing per pod: when one interface's pool is exhausted the pod is refused at creation with a reason
     * naming that pool, and no other interface keeps an address (Spiderpool's users saw one NIC's failure drain the
     * other NICs' pools).
     */
    @Test
    @Order(5)
    void aPodWhoseSecondInterfaceCannotBeServedIsRefusedAndHoldsNothing() {
        c.kubectlApply(Yaml.pool("seed-tiny", "10.246.3.0/24", "10.246.3.10")).ok();
        c.kubectlApply(macvlan("seed-multus", "under-tiny", "seed-tiny")).ok();
        c.kubectlApply(workload("Deployment", "seed-multus", "tiny", 1,
                "k8s.v1.cni.cncf.io/networks: under-tiny@net1",
                "ipam.spidernet.io/ippools: '[{\"interface\":\"eth0\",\"ipv4\":[\"seed-eth0\"]}]'")).ok();
        awaitRunning("seed-multus", "tiny", 1);
        long eth0Before = Pods.allocated(c.client(), "seed-eth0");
        String pod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: second
                  namespace: seed-multus
                  annotations:
                    k8s.v1.cni.cncf.io/networks: under-tiny@net1
                    ipam.spidernet.io/ippools: '[{"interface":"eth0","ipv4":["seed-eth0"]}]'
                spec:
                  containers:
                  - name: app
                    image: localhost/spinneret/busybox:dev
                    imagePullPolicy: Never
                    command: ["sleep", "3600"]
                """;
        RealCluster.Result refused = c.kubectlApply(pod);
        assertNotEquals(0, refused.code(), "the pod must be refused: " + refused.out());
        assertTrue(refused.err().contains("seed-tiny"), "the refusal names the exhausted pool: " + refused.err());
        assertNull(c.client().pods().inNamespace("seed-multus").withName("second").get(), "no pod stored");
        assertEquals(eth0Before, Pods.allocated(c.client(), "seed-eth0"), "eth0's pool lost nothing");
        assertEquals(1, Pods.allocated(c.client(), "seed-tiny"));
    }

    @Test
    @Order(6)
    void aCopiedTwoInterfaceReservationIsRefusedUnderMultus() {
        Pod victim = running("seed-multus", "two-nad").get(0);
        forgeAndExpectRefusal(victim, "forger-multus",
                "    k8s.v1.cni.cncf.io/networks: seed-multus/under-1@net1, seed-multus/under-2@net2");
        String net1Pool = entry(victim, "net1").get("ipv4Pool").asText();
        String id = victim.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id");
        assertTrue(Pods.ledger(c.client(), net1Pool).contains("=" + id), "net1's address still the victim's");
    }

    @Test
    @Order(7)
    void deletingTheNamespacesReturnsEveryAddress() {
        for (String ns : List.of("seed-calico", "seed-sts", "seed-multus")) {
            c.kubectl("delete", "namespace", ns, "--wait=false").ok();
        }
        NodeCluster.await("every pool empty", Duration.ofSeconds(180), () -> {
            for (String pool : List.of("seed-calico", "seed-sts", "seed-eth0", "seed-net1", "seed-net2", "seed-tiny")) {
                if (Pods.allocated(c.client(), pool) != 0) {
                    return false;
                }
            }
            return true;
        });
    }

    /**
     * With {@code ipam.primaryNetwork=false} (Spinneret only for secondary networks; eth0 from host-local under
     * Calico, through Multus) ordinary pods never reach Spinneret: they start while every replica is down, with
     * eth0 from host-local and no reservation. A pod naming a network is refused meanwhile (failurePolicy Fail).
     * Restores the default mode and network afterwards.
     */
    @Test
    @Order(8)
    void withPrimaryNetworkFalseOrdinaryPodsAreUntouchedAndStartWhileSpinneretIsDown() {
        namespace("seed-plain");
        c.kubectlApply(Yaml.pool("seed-plain-net1", "10.246.4.0/24", "10.246.4.10-10.246.4.20")).ok();
        c.kubectlApply(macvlan("seed-plain", "under-4", "seed-plain-net1")).ok();
        c.node("cni", "multus", "host-local").ok();
        // every replica down before the upgrade: with hostNetwork on two nodes a rolling update (maxUnavailable 0)
        // finds no node with free ports. No hooks: the default-pool Job needs the webhooks
        c.kubectl("-n", NodeCluster.NS, "scale", "deploy", "spinneret", "--replicas=0").ok();
        NodeCluster.await("no Spinneret replica left", Duration.ofSeconds(120), () -> c.client().pods()
                .inNamespace(NodeCluster.NS).withLabel("app.kubernetes.io/component", "controller").list()
                .getItems().isEmpty());
        String chart = RealCluster.ROOT.resolve("helm/spinneret").toString();
        String nicsDeployment = workload("Deployment", "seed-plain", "nics", 1,
                "k8s.v1.cni.cncf.io/networks: under-4@net1");
        c.helm("upgrade", "spinneret", chart, "-n", NodeCluster.NS, "--reuse-values", "--no-hooks", "--set",
                "ipam.primaryNetwork=false", "--set", "controller.replicas=0", "--wait", "--timeout", "3m").ok();
        try {
            c.kubectlApply(workload("Deployment", "seed-plain", "plain", 2)).ok();
            for (Pod p : awaitRunning("seed-plain", "plain", 2)) {
                assertNull(Pods.reservation(p), "Spinneret never saw " + p.getMetadata().getName());
                assertTrue(p.getStatus().getPodIP().matches("10\\.244\\.24[23]\\.\\d+"),
                        "eth0 from host-local: " + p.getStatus().getPodIP());
            }
            // a Deployment is not a pod: its ReplicaSet's pod create is what the webhook (down) refuses
            c.kubectlApply(nicsDeployment).ok();
            NodeCluster.await("the ReplicaSet reports the refused pod", Duration.ofSeconds(60), () -> c.kubectl("-n",
                    "seed-plain", "get", "events", "-o", "jsonpath={.items[*].message}").out()
                    .contains("failed calling webhook"));
            assertTrue(c.pods("seed-plain", "app=nics").isEmpty(), "no pod with a network while Spinneret is down");
        } finally {
            c.helm("upgrade", "spinneret", chart, "-n", NodeCluster.NS, "--reuse-values", "--set",
                    "ipam.primaryNetwork=true", "--set", "controller.replicas=2", "--wait", "--timeout", "8m").ok();
            c.node("cni", "multus").ok();
        }
        // once back, the same Deployment gets its pod, net1 from the network's default pool (applied anew: the
        // ReplicaSet's back-off after minutes of refusals could outlast the wait)
        c.kubectl("-n", "seed-plain", "delete", "deploy", "nics").ok();
        c.kubectlApply(nicsDeployment).ok();
        Pod nics = awaitRunning("seed-plain", "nics", 1).get(0);
        assertEquals("seed-plain-net1", entry(nics, "net1").get("ipv4Pool").asText());
        c.kubectl("delete", "namespace", "seed-plain", "--wait=false").ok();
    }
}
