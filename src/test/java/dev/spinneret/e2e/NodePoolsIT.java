package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Pools tied to nodes, on the two real nodes (issue #25; integration-tests/CASES.md K01–K04): node-a is labelled as
 * rack a and with Spiderpool's master role label, node-b as rack b. Pods whose node is not known at admission get an
 * address from a pool that serves a node they can run on, and that pool's node rule in their required node
 * affinity, so they run there. Pool addresses lie in the nodes' pod network (10.244.0.0/16) instead of the
 * example's 172.18.41.0/24 and 172.18.42.0/24, which node.sh's nodes do not route.
 */
@Tag("nodes")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodePoolsIT {
    static final String MASTER = "node-role.kubernetes.io/master";
    static final Duration RUNNING = NodeWorkloads.RUNNING;
    static NodeCluster c;

    @BeforeAll
    static void up() {
        c = NodeCluster.get();
        c.kubectl("label", "node", "node-a", MASTER + "=", "rack=a", "--overwrite").ok();
        c.kubectl("label", "node", "node-b", "rack=b", "--overwrite").ok();
    }

    @AfterAll
    static void down() {
        if (c != null) {
            c.kubectl("label", "node", "node-a", MASTER + "-", "rack-");
            c.kubectl("label", "node", "node-b", "rack-");
        }
    }

    /** A pool in the nodes' pod network with this node rule under its spec ("" for none). */
    static String pool(String name, String ips, String nodeRule) {
        return Yaml.pool(name, "10.244.0.0/16", ips) + nodeRule.indent(2);
    }

    static String affinity(String key, String operator) {
        return "nodeAffinity:\n  matchExpressions:\n  - {key: " + key + ", operator: " + operator + "}";
    }

    static List<Pod> awaitRunning(String ns, String label, int n) {
        NodeCluster.await(n + " Running pods " + label + " in " + ns, RUNNING, () -> {
            List<Pod> all = c.pods(ns, label);
            return all.size() == n && all.stream().allMatch(NodeCluster::running);
        });
        return c.pods(ns, label);
    }

    static String pool(Pod p) {
        return Pods.reservation(p).at("/interfaces/0/ipv4Pool").asText();
    }

    /** Messages of the Events about {@code name} in {@code ns}. */
    static String events(String ns, String name) {
        return c.kubectl("-n", ns, "get", "events", "--field-selector", "involvedObject.name=" + name, "-o",
                "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}").ok().out();
    }

    @Test
    @Order(1)
    void spiderpoolsNodeAffinityDeployExampleRunsOnePodPerNodeWithItsPoolsAddress() {
        TestNamespace.create(c, "np-example");
        // docs/usage/ippool-affinity-node.md: two pools of one address, one for the master, one for the others
        c.kubectlApply(pool("master-ipv4-ippool", "10.244.141.40", affinity(MASTER, "Exists"))).ok();
        c.kubectlApply(pool("worker-ipv4-ippool", "10.244.142.40", affinity(MASTER, "DoesNotExist"))).ok();
        String deploy = """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: node-affinity-deploy
                  namespace: np-example
                spec:
                  replicas: %d
                  selector:
                    matchLabels:
                      app: node-affinity-deploy
                  template:
                    metadata:
                      annotations:
                        ipam.spidernet.io/ippool: |-
                          {
                            "ipv4": ["master-ipv4-ippool", "worker-ipv4-ippool"]
                          }
                      labels:
                        app: node-affinity-deploy
                    spec:
                      terminationGracePeriodSeconds: 1
                      affinity:
                        podAntiAffinity:
                          requiredDuringSchedulingIgnoredDuringExecution:
                          - labelSelector:
                              matchLabels:
                                app: node-affinity-deploy
                            topologyKey: kubernetes.io/hostname
                      containers:
                      - name: node-affinity-deploy
                        image: localhost/spinneret/busybox:dev
                        imagePullPolicy: Never
                        command: ["/bin/sh", "-c", "trap : TERM INT; sleep infinity & wait"]
                """;
        // the same Deployment on a pool without node rules first: what the node-bound pools cost on top
        c.kubectlApply(pool("np-unbound", "10.244.140.1-10.244.140.4", "")).ok();
        String unbound = deploy.replace("node-affinity-deploy", "unbound-deploy")
                .replace("\"master-ipv4-ippool\", \"worker-ipv4-ippool\"", "\"np-unbound\"");
        long u0 = System.nanoTime();
        c.kubectlApply(unbound.formatted(2)).ok();
        awaitRunning("np-example", "app=unbound-deploy", 2);
        System.out.printf("NodePoolsIT: unbound-deploy (one pool without node rules), 2 pods Running %d ms after the"
                + " apply%n", (System.nanoTime() - u0) / 1_000_000);
        c.kubectl("-n", "np-example", "delete", "deploy", "unbound-deploy").ok();

        long t0 = System.nanoTime();
        RealCluster.Result applied = c.kubectlApply(deploy.formatted(2)).ok();
        // capacity follows topology: 2 replicas + the default surge of 1, and 2 free addresses
        assertTrue(applied.err().contains("Warning: Deployment np-example/node-affinity-deploy, interface eth0, IPv4:"
                + " the pools that can serve its pods have 2 free addresses (master-ipv4-ippool 1 (node-bound),"
                + " worker-ipv4-ippool 1 (node-bound)) for 3 new pods (replicas 2 + surge 1)"), applied.err());
        List<Pod> pods = awaitRunning("np-example", "app=node-affinity-deploy", 2);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("NodePoolsIT: node-affinity-deploy, 2 pods Running %d ms after the apply%n", ms);
        Map<String, String> poolByNode = new HashMap<>();
        for (Pod p : pods) {
            NodeWorkloads.assertPodIpIsTheReservation(p);
            poolByNode.put(p.getSpec().getNodeName(), pool(p) + " " + p.getStatus().getPodIP());
        }
        assertEquals(Map.of("node-a", "master-ipv4-ippool 10.244.141.40", "node-b", "worker-ipv4-ippool 10.244.142.40"),
                poolByNode, "each pod on a node its pool serves, with that pool's address");
        // kubectl get se, as the doc shows it: interface, pool, address, node
        String se = c.kubectl("-n", "np-example", "get", "se").ok().out();
        assertTrue(se.lines().anyMatch(l -> l.contains("master-ipv4-ippool") && l.contains("10.244.141.40/16")
                && l.contains("node-a")), se);
        assertTrue(se.lines().anyMatch(l -> l.contains("worker-ipv4-ippool") && l.contains("10.244.142.40/16")
                && l.contains("node-b")), se);

        // a third replica: both pools are full; its creation is refused at once, saying why
        c.kubectlApply(deploy.formatted(3)).ok();
        String rs = c.kubectl("-n", "np-example", "get", "rs", "-l", "app=node-affinity-deploy", "-o",
                "jsonpath={.items[0].metadata.name}").ok().out();
        NodeCluster.await("a FailedCreate Event on " + rs, Duration.ofSeconds(60),
                () -> events("np-example", rs).contains("SpiderIPPool master-ipv4-ippool is exhausted"));
        String ev = events("np-example", rs);
        assertTrue(ev.contains("SpiderIPPool worker-ipv4-ippool is exhausted"), ev);
        assertEquals(2, c.pods("np-example", "app=node-affinity-deploy").size(), "no pod without an address");

        // kubectl get sp -o wide: Spiderpool's columns, then Spinneret's
        List<String> wide = c.kubectl("get", "sp", "master-ipv4-ippool", "-o", "wide").ok().out().lines().toList();
        assertEquals("NAME VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT DEFAULT DISABLE NODENAME MULTUSNAME"
                + " APP-NAMESPACE FREE-IP-COUNT RESTRICTED-BY", wide.get(0).trim().replaceAll("\\s+", " "));
        c.kubectl("delete", "namespace", "np-example", "--wait=false").ok();
    }

    @Test
    @Order(2)
    void aTenantsOwnPlacementContradictingThePoolIsRefusedAtCreate() {
        TestNamespace.create(c, "np-tenant");
        c.kubectlApply(pool("np-rack-a", "10.244.143.1-10.244.143.4", "nodeAffinity:\n  matchLabels: {rack: a}"))
                .ok();
        RealCluster.Result r = c.kubectl("-n", "np-tenant", "run", "elsewhere", "--image=localhost/spinneret/busybox:dev",
                "--image-pull-policy=Never", "--annotations=ipam.spidernet.io/ippool={\"ipv4\":[\"np-rack-a\"]}",
                "--overrides={\"spec\":{\"nodeSelector\":{\"rack\":\"b\"}}}", "--", "sleep", "3600");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("np-rack-a: spec.nodeAffinity (rack=a): none of its nodes can take this pod"
                + " (node-a: the pod's nodeSelector/node affinity excludes it)"), r.err());
        r = c.kubectl("-n", "np-tenant", "run", "pinned", "--image=localhost/spinneret/busybox:dev",
                "--image-pull-policy=Never", "--annotations=ipam.spidernet.io/ippool={\"ipv4\":[\"np-rack-a\"]}",
                "--overrides={\"spec\":{\"nodeName\":\"node-b\"}}", "--", "sleep", "3600");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("np-rack-a: spec.nodeAffinity (rack=a) does not match node node-b"), r.err());
        assertEquals("", Pods.ledger(c.client(), "np-rack-a"), "nothing reserved");
    }

    /** A pod held back by a scheduling gate: admitted (address reserved, affinity added) but not scheduled yet. */
    static String gated(String ns, String name, String pool) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  annotations:
                    ipam.spidernet.io/ippool: '{"ipv4":["%s"]}'
                spec:
                  terminationGracePeriodSeconds: 1
                  schedulingGates:
                  - name: spinneret.dev/test-hold
                  containers:
                  - name: app
                    image: localhost/spinneret/busybox:dev
                    imagePullPolicy: Never
                    command: ["sleep", "3600"]
                """.formatted(name, ns, pool);
    }

    @Test
    @Order(3)
    void theAddedAffinityCannotBeEditedAwayAndAPoolMovedAfterAdmissionIsRefusedByThePlugin() {
        TestNamespace.create(c, "np-edit");
        c.kubectlApply(pool("np-moving", "10.244.144.1-10.244.144.4", "nodeAffinity:\n  matchLabels: {rack: a}"))
                .ok();
        c.kubectlApply(gated("np-edit", "held", "np-moving")).ok();
        Pod held = c.client().pods().inNamespace("np-edit").withName("held").get();
        String reserved = Pods.ipv4(held);
        assertTrue(reserved.startsWith("10.244.144."), reserved);
        assertEquals("rack", held.getSpec().getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms().get(0)
                .getMatchExpressions().get(0).getKey());
        // while gated, Kubernetes lets a pod's node affinity only be narrowed: replacing the added term is refused
        RealCluster.Result r = c.kubectl("-n", "np-edit", "patch", "pod", "held", "--type=json", "-p",
                "[{\"op\":\"replace\",\"path\":\"/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution"
                        + "/nodeSelectorTerms/0/matchExpressions/0/values\",\"value\":[\"b\"]}]");
        assertNotEquals(0, r.code(), "the API server refuses to change the added affinity");
        assertTrue(r.err().contains("Forbidden") || r.err().contains("Invalid"), r.err());
        // the rack moves after admission: the pool now serves rack b only
        c.kubectl("patch", "sp", "np-moving", "--type=merge", "-p",
                "{\"spec\":{\"nodeAffinity\":{\"matchLabels\":{\"rack\":\"b\"}}}}").ok();
        c.kubectl("-n", "np-edit", "patch", "pod", "held", "--type=json", "-p",
                "[{\"op\":\"remove\",\"path\":\"/spec/schedulingGates\"}]").ok();
        // scheduled by its affinity onto node-a, where the plugin refuses the address, naming pool and node
        NodeCluster.await("the plugin's refusal in held's Events", RUNNING, () -> events("np-edit", "held")
                .contains("SpiderIPPool np-moving is not usable on node node-a"));
        Pod now = c.client().pods().inNamespace("np-edit").withName("held").get();
        assertEquals("node-a", now.getSpec().getNodeName());
        assertNotEquals("Running", now.getStatus().getPhase());
        assertNull(c.client().resources(SpiderEndpoint.class).inNamespace("np-edit").withName("held").get(),
                "nothing written for a refused address");
        c.kubectl("delete", "namespace", "np-edit", "--wait=false").ok();
    }

    @Test
    @Order(4)
    void aStatefulSetPodKeepsItsAddressAndItsRackAcrossRecreation() {
        TestNamespace.create(c, "np-sts");
        c.kubectlApply(pool("np-sts-a", "10.244.145.1-10.244.145.2", "nodeAffinity:\n  matchLabels: {rack: a}"))
                .ok();
        c.kubectlApply(pool("np-sts-b", "10.244.146.1-10.244.146.2", "nodeName: [node-b]")).ok();
        c.kubectlApply(NodeWorkloads.workload("StatefulSet", "np-sts", "db", 2,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"np-sts-a\",\"np-sts-b\"]}'")).ok();
        List<Pod> before = awaitRunning("np-sts", "app=db", 2);
        Map<String, String> where = new HashMap<>();
        for (Pod p : before) {
            NodeWorkloads.assertPodIpIsTheReservation(p);
            String node = p.getSpec().getNodeName();
            assertEquals(node.equals("node-a") ? "np-sts-a" : "np-sts-b", pool(p), p.getMetadata().getName());
            where.put(p.getMetadata().getName(), node + " " + p.getStatus().getPodIP());
        }
        Pod db1 = c.client().pods().inNamespace("np-sts").withName("db-1").get();
        String uid = db1.getMetadata().getUid();
        c.kubectl("-n", "np-sts", "delete", "pod", "db-1").ok();
        NodeCluster.await("a new db-1 Running", RUNNING, () -> {
            Pod p = c.client().pods().inNamespace("np-sts").withName("db-1").get();
            return p != null && !p.getMetadata().getUid().equals(uid) && NodeCluster.running(p);
        });
        Pod again = c.client().pods().inNamespace("np-sts").withName("db-1").get();
        assertEquals(where.get("db-1"), again.getSpec().getNodeName() + " " + again.getStatus().getPodIP(),
                "db-1 is back on its rack with its address");
        c.kubectl("delete", "namespace", "np-sts", "--wait=false").ok();
    }
}
