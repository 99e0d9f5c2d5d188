package dev.spinneret.e2e;

import static dev.spinneret.e2e.NodeWorkloads.RUNNING;
import static dev.spinneret.e2e.NodeWorkloads.assertPodIpIsTheReservation;
import static dev.spinneret.e2e.NodeWorkloads.awaitRunning;
import static dev.spinneret.e2e.NodeWorkloads.ipsByName;
import static dev.spinneret.e2e.NodeWorkloads.namespaceWithPool;
import static dev.spinneret.e2e.NodeWorkloads.running;
import static dev.spinneret.e2e.NodeWorkloads.sleep;
import static dev.spinneret.e2e.NodeWorkloads.workload;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;

/**
 * Pods that really run: kubelet → containerd → bridge plugin → Spinneret's CNI plugin on two nodes, Spinneret itself
 * installed from its chart (integration-tests/CASES.md, "Real nodes"). Every pool lies inside the SpiderSubnet
 * nodes-subnet (10.244.0.0/16, as in the seed), on node.sh's pod network.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("nodes")
class RealNodesIT {
    static NodeCluster c;

    @BeforeAll
    static void up() {
        c = NodeCluster.get();
        c.kubectlApply(Yaml.subnet("nodes-subnet", "10.244.0.0/16", "10.244.100.0-10.244.200.1")).ok();
    }

    static String autoPool(String app) {
        List<SpiderIPPool> pools = c.client().resources(SpiderIPPool.class)
                .withLabel("ipam.spidernet.io/owner-application-name", app).list().getItems();
        assertEquals(1, pools.size(), "one automatic pool for " + app);
        return pools.get(0).getMetadata().getName();
    }

    @Test
    @Order(1)
    void deploymentWithAnAutomaticPoolRunsOnBothNodesAndPodsReachEachOther() {
        TestNamespace.create(c, "nodes-dep");
        c.kubectlApply(workload("Deployment", "nodes-dep", "web", 2, "ipam.spidernet.io/ippool-ip-number: \"+2\"",
                "ipam.spidernet.io/subnet: '{\"interface\":\"eth0\",\"ipv4\":[\"nodes-subnet\"]}'")).ok();
        List<Pod> pods = awaitRunning("nodes-dep", "web", 2);
        String pool = autoPool("web");
        pods.forEach(NodeWorkloads::assertPodIpIsTheReservation);
        pods.forEach(p -> assertEquals(pool, Pods.reservation(p).at("/interfaces/0/ipv4Pool").asText(),
                p.getMetadata().getName() + " is served by " + pool));
        Set<String> nodes = new HashSet<>();
        pods.forEach(p -> nodes.add(p.getSpec().getNodeName()));
        assertEquals(Set.of("node-a", "node-b"), nodes, "spread over both nodes");

        // a pod on one node reaches the other across the nodes' link (ICMP and HTTP)
        Pod a = pods.get(0);
        Pod b = pods.get(1);
        c.exec("nodes-dep", a.getMetadata().getName(), "ping", "-c", "2", "-W", "3", b.getStatus().getPodIP()).ok();
        // TCP the other way: busybox httpd answers (404 for an empty document root). nc, not wget: the static
        // busybox's wget crashes looking up the "http" service
        RealCluster.Result http = c.exec("nodes-dep", b.getMetadata().getName(), "sh", "-c",
                "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 " + a.getStatus().getPodIP() + " 80");
        assertTrue(http.out().startsWith("HTTP/1."), "an HTTP answer across the nodes: " + http);

        // a deleted pod comes back Running with an address of the same pool; scaling keeps the range
        c.kubectl("-n", "nodes-dep", "delete", "pod", a.getMetadata().getName(), "--wait=false").ok();
        c.kubectl("-n", "nodes-dep", "scale", "deploy", "web", "--replicas=3").ok();
        List<Pod> after = awaitRunning("nodes-dep", "web", 3);
        after.forEach(NodeWorkloads::assertPodIpIsTheReservation);
        after.forEach(p -> assertEquals(pool, Pods.reservation(p).at("/interfaces/0/ipv4Pool").asText(),
                p.getMetadata().getName() + " is served by " + pool));
        NodeCluster.await("the deleted pod's address back in " + pool, Duration.ofSeconds(60),
                () -> Pods.allocated(c.client(), pool) == 3);
        assertEquals(3, new HashSet<>(ipsByName(after).values()).size(), "distinct addresses");
    }

    @Test
    @Order(2)
    void statefulSetOrderedReadyKeepsEachOrdinalsAddress() {
        namespaceWithPool("nodes-sts", "10.244.130.1-10.244.130.10");
        c.kubectlApply(workload("StatefulSet", "nodes-sts", "db", 3,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"nodes-sts\"]}'")).ok();
        Map<String, String> before = ipsByName(awaitRunning("nodes-sts", "db", 3));
        running("nodes-sts", "db").forEach(NodeWorkloads::assertPodIpIsTheReservation);
        assertEquals(Set.of("db-0", "db-1", "db-2"), before.keySet());

        String uid = c.client().pods().inNamespace("nodes-sts").withName("db-1").get().getMetadata().getUid();
        c.kubectl("-n", "nodes-sts", "delete", "pod", "db-1").ok();
        NodeCluster.await("a new db-1 Running", RUNNING, () -> {
            Pod p = c.client().pods().inNamespace("nodes-sts").withName("db-1").get();
            return p != null && !p.getMetadata().getUid().equals(uid) && NodeCluster.running(p);
        });
        Pod again = c.client().pods().inNamespace("nodes-sts").withName("db-1").get();
        assertPodIpIsTheReservation(again);
        assertEquals(before.get("db-1"), again.getStatus().getPodIP(), "db-1 is Running again with its address");
    }

    @Test
    @Order(3)
    void anExhaustedPoolRefusesThePodAtCreate() {
        namespaceWithPool("nodes-full", "10.244.131.1");
        String pod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: nodes-full
                  labels: {app: full}
                  annotations:
                    ipam.spidernet.io/ippool: '{"ipv4":["nodes-full"]}'
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: app
                    image: localhost/spinneret/busybox:dev
                    imagePullPolicy: Never
                    command: ["sleep", "3600"]
                """;
        c.kubectlApply(pod.formatted("first")).ok();
        awaitRunning("nodes-full", "full", 1);
        RealCluster.Result second = c.kubectlApply(pod.formatted("second"));
        assertNotEquals(0, second.code(), "the second pod must be refused: " + second.out());
        assertTrue(second.err().contains("nodes-full"), "the refusal names the pool: " + second.err());
        assertEquals(1, c.pods("nodes-full", "app=full").size(), "no pod is left waiting in ContainerCreating");
    }

    @Test
    @Order(4)
    void restartingAKubeletAndAContainerdKeepsRunningPodsAndTheirAddresses() {
        Map<String, String> before = ipsByName(running("nodes-dep", "web"));
        assertEquals(3, before.size());
        c.node("restart", "node-a", "kubelet").ok();
        c.node("restart", "node-b", "containerd").ok();
        c.node("restart", "node-b", "kubelet").ok();
        for (String n : List.of("node-a", "node-b")) {
            NodeCluster.await(n + " Ready again", Duration.ofSeconds(90), () -> "True".equals(c.kubectl("get", "node",
                    n, "-o", "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}").out().strip()));
        }
        // give the restarted kubelets a few sync loops to act on anything they would change
        sleep(Duration.ofSeconds(10));
        List<Pod> after = running("nodes-dep", "web");
        assertEquals(before, ipsByName(after), "the same pods, Running, with the same addresses");
        after.forEach(p -> assertEquals(0, p.getStatus().getContainerStatuses().get(0).getRestartCount(),
                p.getMetadata().getName() + " was not restarted"));
        // and the chain still works for a new pod on each node
        c.kubectl("-n", "nodes-dep", "scale", "deploy", "web", "--replicas=4").ok();
        awaitRunning("nodes-dep", "web", 4).forEach(NodeWorkloads::assertPodIpIsTheReservation);
    }

    @Test
    @Order(5)
    void killingTheLeadingSpinneretPodWhilePodsAreCreatedLosesAndDuplicatesNothing() {
        Lease lease = c.client().leases().inNamespace(NodeCluster.NS).withName("spinneret-gc").get();
        assertNotNull(lease, "a replica leads the garbage collection");
        String holder = lease.getSpec().getHolderIdentity();
        int transitions = lease.getSpec().getLeaseTransitions() == null ? 0 : lease.getSpec().getLeaseTransitions();
        List<Pod> service = c.client().pods().inNamespace(NodeCluster.NS)
                .withLabel("app.kubernetes.io/component", "controller").list().getItems();
        assertEquals(2, service.size(), "two Spinneret replicas");
        Pod leader = service.stream().filter(p -> holder.startsWith(p.getMetadata().getName() + "-")).findFirst()
                .orElseThrow(() -> new AssertionError("no replica holds the lease: " + holder));
        String leaderName = leader.getMetadata().getName();
        assertEquals("/q/health/ready", leader.getSpec().getContainers().get(0).getReadinessProbe().getHttpGet()
                .getPath(), "the readiness probe is the health endpoint");
        int restarts = leader.getStatus().getContainerStatuses().get(0).getRestartCount();

        namespaceWithPool("nodes-churn", "10.244.150.1-10.244.150.40");
        // the JVM exits (SIGTERM to PID 1); the kubelet restarts the container
        c.exec(NodeCluster.NS, leaderName, "kill", "1");
        // until the endpoints controller drops the killed replica, the API server may still pick it for a webhook
        // call (failurePolicy Fail): apply again, as a controller would retry
        String churn = workload("Deployment", "nodes-churn", "churn", 12,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"nodes-churn\"]}'");
        NodeCluster.await("the Deployment accepted", Duration.ofSeconds(90), () -> c.kubectlApply(churn).code() == 0);
        NodeCluster.await("the killed replica reported not ready", Duration.ofSeconds(60), () -> !ready(leaderName));
        NodeCluster.await("the killed replica restarted and ready again", Duration.ofSeconds(180), () -> {
            Pod p = c.client().pods().inNamespace(NodeCluster.NS).withName(leaderName).get();
            return p.getStatus().getContainerStatuses().get(0).getRestartCount() > restarts && ready(leaderName);
        });
        List<Pod> pods = awaitRunning("nodes-churn", "churn", 12);
        pods.forEach(NodeWorkloads::assertPodIpIsTheReservation);
        assertEquals(12, new HashSet<>(ipsByName(pods).values()).size(), "no address handed out twice");
        NodeCluster.await("the lease changed hands", Duration.ofSeconds(90), () -> {
            Lease l = c.client().leases().inNamespace(NodeCluster.NS).withName("spinneret-gc").get();
            Integer t = l.getSpec().getLeaseTransitions();
            return t != null && t > transitions;
        });

        c.kubectl("-n", "nodes-churn", "delete", "deploy", "churn").ok();
        NodeCluster.await("every address of nodes-churn back", Duration.ofSeconds(120),
                () -> c.pods("nodes-churn", "app=churn").isEmpty() && Pods.allocated(c.client(), "nodes-churn") == 0);
        assertEquals("", Pods.ledger(c.client(), "nodes-churn").strip(), "no leak");
    }

    static boolean ready(String pod) {
        Pod p = c.client().pods().inNamespace(NodeCluster.NS).withName(pod).get();
        if (p == null || p.getStatus() == null || p.getStatus().getConditions() == null) {
            return false;
        }
        for (PodCondition cond : p.getStatus().getConditions()) {
            if (cond.getType().equals("Ready")) {
                return cond.getStatus().equals("True");
            }
        }
        return false;
    }

    @Test
    @Order(6)
    void deletingPodsAndNamespacesReturnsEveryAddress() {
        String web = autoPool("web");
        for (String ns : List.of("nodes-dep", "nodes-sts", "nodes-full", "nodes-churn")) {
            c.kubectl("delete", "namespace", ns, "--wait=false").ok();
        }
        NodeCluster.await("every pool empty", Duration.ofSeconds(180), () -> {
            for (String pool : List.of("nodes-sts", "nodes-full", "nodes-churn")) {
                if (Pods.allocated(c.client(), pool) != 0) {
                    return false;
                }
            }
            // the automatic pool is reclaimed once its Deployment and pods are gone
            return c.client().resources(SpiderIPPool.class).withName(web).get() == null;
        });
    }

    /**
     * Issue #27: with Spinneret as the cluster's IPAM, the cluster's own pods (kube-system, which the pod webhook never
     * sees) get addresses, and so does a pod created while every replica is down, once Spinneret is back: the
     * service reserves after creation, and until then the CNI plugin answers "try again later".
     */
    @Test
    @Order(7)
    void kubeSystemPodsAndAPodCreatedDuringAnOutageRunWithPoolAddresses() {
        String dns = workload("Deployment", "kube-system", "dns-like", 2);
        c.kubectlApply(dns).ok();
        List<Pod> pods = awaitRunning("kube-system", "dns-like", 2);
        for (Pod p : pods) {
            assertPodIpIsTheReservation(p);
            assertTrue(p.getStatus().getPodIP().startsWith("10.245.0."), "from the cluster default pool: "
                    + p.getStatus().getPodIP());
        }
        // every replica down: the pod webhook cannot be called, a pod of kube-system is created all the same
        c.kubectl("-n", NodeCluster.NS, "scale", "deploy", "spinneret", "--replicas=0").ok();
        NodeCluster.await("no Spinneret replica left", Duration.ofSeconds(120), () -> c.client().pods()
                .inNamespace(NodeCluster.NS).withLabel("app.kubernetes.io/component", "controller").list().getItems()
                .isEmpty());
        try {
            c.kubectlApply(workload("Deployment", "kube-system", "during-outage", 1)).ok();
            sleep(Duration.ofSeconds(15));
            List<Pod> waiting = c.pods("kube-system", "app=during-outage");
            assertEquals(1, waiting.size());
            assertTrue(waiting.stream().noneMatch(NodeCluster::running), "no address while Spinneret is down");
            String events = c.kubectl("-n", "kube-system", "get", "events", "--field-selector",
                    "involvedObject.name=" + waiting.get(0).getMetadata().getName(), "-o", "jsonpath={.items[*].message}")
                    .out();
            assertTrue(events.contains("has no ipam.spidernet.io/reserved-ips annotation yet"), events);
        } finally {
            c.kubectl("-n", NodeCluster.NS, "scale", "deploy", "spinneret", "--replicas=2").ok();
        }
        Pod late = awaitRunning("kube-system", "during-outage", 1).get(0);
        assertPodIpIsTheReservation(late);
        assertTrue(late.getStatus().getPodIP().startsWith("10.245.0."), late.getStatus().getPodIP());
        c.kubectl("-n", "kube-system", "delete", "deploy", "dns-like", "during-outage").ok();
    }

    /**
     * Issue #21 on the real nodes, with the strongest forger there is: a cluster-admin impersonating Spinneret's own
     * identity (which the admission policy exempts; the account itself may not create pods) stores, in kube-system (which the
     * pod webhook never sees), a pod carrying a verbatim copy of a running pod's reservation. The kubelet starts it
     * and the CNI plugin refuses the address (the ledger binds it to the victim): the copy never runs, and deleting
     * it frees nothing.
     */
    @Test
    @Order(8)
    void aCopiedReservationNeverRunsAndDeletingItFreesNothing() {
        namespaceWithPool("nodes-forge", "10.244.160.1-10.244.160.20");
        c.kubectlApply(workload("Deployment", "nodes-forge", "victim", 1,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"nodes-forge\"]}'")).ok();
        Pod victim = awaitRunning("nodes-forge", "victim", 1).get(0);
        String address = victim.getStatus().getPodIP();
        String id = victim.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id");
        String forger = NodeWorkloads.copyOfReservation(victim, "forger", "");
        // an ordinary cluster-admin is refused by the admission policy already
        var refused = c.kubectlApply(forger, "--as=another-admin", "--as-group=system:masters");
        assertNotEquals(0, refused.code(), refused.out());
        assertTrue(refused.err().contains("may not carry a reservation"), refused.err());
        // Spinneret's own account may not create pods (RBAC); its name with an admin's group passes both
        c.kubectlApply(forger, "--as=system:serviceaccount:" + NodeCluster.NS + ":spinneret",
                "--as-group=system:masters").ok();
        NodeCluster.await("the plugin refused the copy", Duration.ofSeconds(120), () -> c.kubectl("-n",
                "kube-system", "get", "events", "--field-selector", "involvedObject.name=forger", "-o",
                "jsonpath={.items[*].message}").out().contains("copied or forged"));
        Pod f = c.client().pods().inNamespace("kube-system").withName("forger").get();
        assertTrue(!NodeCluster.running(f) && f.getStatus().getPodIP() == null, "the copy has no address");
        c.kubectl("-n", "kube-system", "delete", "pod", "forger", "--wait=true").ok();
        sleep(Duration.ofSeconds(5)); // a release of a deleted pod lingers 200 ms before its write
        assertTrue(Pods.ledger(c.client(), "nodes-forge").contains("=" + id), "the victim's entry is still there");
        Pod still = c.client().pods().inNamespace("nodes-forge").withName(victim.getMetadata().getName()).get();
        assertEquals(address, still.getStatus().getPodIP());
        // the next pod of the pool gets another address
        c.kubectl("-n", "nodes-forge", "scale", "deploy", "victim", "--replicas=2").ok();
        List<Pod> two = awaitRunning("nodes-forge", "victim", 2);
        assertEquals(2, new HashSet<>(ipsByName(two).values()).size(), "no address handed out twice");
        c.kubectl("delete", "namespace", "nodes-forge", "--wait=false").ok();
    }
}
