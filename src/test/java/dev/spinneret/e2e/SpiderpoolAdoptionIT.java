package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.PodIPAllocation;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderEndpointStatus;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.SpiderpoolLedger;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * From Spiderpool to Spinneret on the real API server (issue 24): the cluster as a stopped Spiderpool v1.2.1 leaves
 * it — a SpiderIPPool whose {@code status.allocatedIPs} holds Spiderpool's JSON, SpiderEndpoints as its agent writes
 * them (pod UID, Spiderpool's finalizer; a Deployment pod's owned by the pod, a StatefulSet pod's by nothing), pods
 * of a StatefulSet created by the real controller-manager and bare pods, all without any Spinneret webhook — written
 * here as exact fixtures (not by the Spiderpool binaries). Then Spinneret starts (two replicas, racing) and adopts:
 * no running pod's address changes, the CNI plugin's ledger check passes for them (CHECK, DEL; ADD of a recreated
 * StatefulSet pod gives it its old address), new pods never get a held address, a deleted pod's address and the
 * record of a pod that no longer exists are released. Addresses 10.228.0.0/16.
 */
@Tag("api-server")
class SpiderpoolAdoptionIT {
    static final String NS = "adopt-it";
    static final String POOL = "adopt-pool";
    static final String ANNOTATION = "{\"ipv4\":[\"" + POOL + "\"]}";
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
        TestNamespace.create(cluster, NS);
    }

    @AfterAll
    static void down() {
        cluster.kubectl("delete", "namespace", NS, "--wait=false");
    }

    static void stopSpinneretAndItsWebhooks() {
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "stop",
                RealCluster.DIR.toString()), 60);
    }

    static Pod pod(String name) {
        return cluster.client().pods().inNamespace(NS).withName(name).get();
    }

    /** The SpiderEndpoint Spiderpool's agent writes for a pod it served (status.current, its finalizer). */
    static void spiderpoolEndpoint(Pod p, String address, String stsName) {
        SpiderEndpoint se = new SpiderEndpoint();
        ObjectMetaBuilder meta = new ObjectMetaBuilder().withName(p.getMetadata().getName()).withNamespace(NS)
                .withFinalizers("spiderpool.spidernet.io");
        if (stsName == null) { // a StatefulSet pod's endpoint outlives the pod: no owner
            meta.withOwnerReferences(new OwnerReferenceBuilder().withApiVersion("v1").withKind("Pod")
                    .withName(p.getMetadata().getName()).withUid(p.getMetadata().getUid()).build());
        }
        se.setMetadata(meta.build());
        SpiderEndpointStatus st = new SpiderEndpointStatus();
        st.current = new PodIPAllocation();
        st.current.uid = p.getMetadata().getUid();
        st.current.node = "node-a";
        IPAllocationDetail d = new IPAllocationDetail();
        d.iface = "eth0";
        d.ipv4 = address + "/16";
        d.ipv4Pool = POOL;
        d.ipv4Gateway = "10.228.0.1";
        d.vlan = 0;
        d.cleanGateway = false;
        st.current.ips = List.of(d);
        st.ownerControllerType = stsName == null ? "Pod" : "StatefulSet";
        st.ownerControllerName = stsName == null ? p.getMetadata().getName() : stsName;
        se.setStatus(st);
        cluster.client().resource(se).create(); // no status subresource: status is stored with the object
    }

    static String record(Pod p) {
        return record(p.getMetadata().getName(), p.getMetadata().getUid());
    }

    static String record(String name, String uid) {
        return "{\"pod\":\"" + NS + "/" + name + "\",\"podUid\":\"" + uid + "\"}";
    }

    static AllocationLedger ledger() {
        return AllocationLedger.decode(IpFamily.V4, Ledgers.of(cluster.client(), POOL));
    }

    /** A bare pod of {@code ns} naming pools {@code annotation}; null (the error in {@code errors}) if refused. */
    static Pod create(String ns, String name, String annotation, List<String> errors) {
        try {
            return RealCluster.get().client().pods().inNamespace(ns).resource(
                    new io.fabric8.kubernetes.api.model.PodBuilder()
                    .withNewMetadata().withName(name).withNamespace(ns)
                    .withAnnotations(Map.of("ipam.spidernet.io/ippool", annotation)).endMetadata()
                    .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build())
                    .create();
        } catch (KubernetesClientException e) {
            errors.add(e.getMessage());
            return null;
        }
    }

    /**
     * The Go CNI plugin, installed as {@code spiderpool}, run as an IPAM plugin for {@code p} (its ledger check needs
     * no network namespace). Also used by SpiderpoolOwnBinariesAdoptionIT.
     */
    static RealCluster.Result plugin(String command, Pod p, String prevResult) throws Exception {
        RealCluster cluster = RealCluster.get();
        String ns = p.getMetadata().getNamespace();
        Path dir = Files.createTempDirectory("spn-adopt-cni");
        String conf = """
                {"cniVersion":"1.0.0","name":"adopt-it","type":"macvlan",
                 "ipam":{"type":"spiderpool","kubeconfig":"%s","timeout_seconds":10}%s}
                """.formatted(cluster.env.get("KUBECONFIG"), prevResult == null ? "" : ",\"prevResult\":" + prevResult);
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CNI_COMMAND", command);
        env.put("CNI_CONTAINERID", "ctr-" + p.getMetadata().getUid().substring(0, 8));
        env.put("CNI_NETNS", "/var/run/netns/adopt-it");
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", GoPlugin.binDir(dir).toString());
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + p.getMetadata().getName()
                + ";K8S_POD_UID=" + p.getMetadata().getUid());
        env.put("NODE_NAME", "node-a");
        return RealCluster.exec(List.of(GoPlugin.binDir(dir).resolve("spiderpool").toString()), conf, env, 60);
    }

    static String prev(String address) {
        return "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"" + address + "/16\"}]}";
    }

    @Test
    void aPoolSpiderpoolWroteIsAdoptedWithNoRunningPodChangingItsAddress() throws Exception {
        Map<String, String> had = new LinkedHashMap<>(); // pod → its Spiderpool address
        String goneUid = UUID.randomUUID().toString();
        stopSpinneretAndItsWebhooks();
        try {
            // what Spiderpool's cluster holds: no Spinneret webhook saw any of these
            cluster.kubectlApply(Yaml.pool(POOL, "10.228.0.0/16", "10.228.0.10-10.228.0.40")).ok();
            for (String name : List.of("dep-a", "dep-b")) {
                cluster.kubectl("run", name, "-n", NS, "--image=nginx",
                        "--annotations=ipam.spidernet.io/ippool=" + ANNOTATION).ok();
            }
            cluster.kubectlApply(Yaml.statefulSet(NS, "web", 2, ANNOTATION)).ok();
            await().atMost(Duration.ofSeconds(60)).until(() -> pod("web-0") != null && pod("web-1") != null);
            had.put("dep-a", "10.228.0.10");
            had.put("dep-b", "10.228.0.11");
            had.put("web-0", "10.228.0.12");
            had.put("web-1", "10.228.0.13");
            List<String> records = new ArrayList<>();
            for (var e : had.entrySet()) {
                Pod p = pod(e.getKey());
                assertFalse(p.getMetadata().getLabels() != null
                        && p.getMetadata().getLabels().containsKey("ipam.spidernet.io/reservation-id"));
                spiderpoolEndpoint(p, e.getValue(), e.getKey().startsWith("web-") ? "web" : null);
                records.add("\"" + e.getValue() + "\":" + record(p));
            }
            records.add("\"10.228.0.14\":" + record("gone", goneUid)); // its pod was deleted while Spiderpool was down
            Collections.reverse(records); // Go map order is no order
            String json = "{" + String.join(",", records) + "}";
            cluster.kubectl("patch", "sp", POOL, "--subresource=status", "--type=merge", "-p",
                    "{\"status\":{\"allocatedIPs\":" + quote(json) + ",\"allocatedIPCount\":5}}").ok();
            assertEquals(json, cluster.client().resources(SpiderIPPool.class).withName(POOL).get().getStatus()
                    .allocatedIPs);
        } finally {
            MultusIT.restart(true); // two replicas: both start adopting
        }

        // adopted: the ledger in blocks, every record bound to the pod it names
        await().atMost(Duration.ofSeconds(90)).until(() -> PoolBlocks.MARKER.equals(
                cluster.client().resources(SpiderIPPool.class).withName(POOL).get().getStatus().allocatedIPs));
        Map<String, String> holders = Ledgers.holders(cluster.client(), POOL);
        for (var e : had.entrySet()) {
            String id = SpiderpoolLedger.reservationId(pod(e.getKey()).getMetadata().getUid());
            assertEquals(NS + "/" + e.getKey(), holders.get(id), e.getKey());
        }
        // every running pod keeps its address: its reservation is the one Spiderpool gave it
        await().atMost(Duration.ofSeconds(90)).until(() -> had.keySet().stream()
                .allMatch(n -> Pods.ipv4(pod(n)) != null));
        for (var e : had.entrySet()) {
            Pod p = pod(e.getKey());
            assertEquals(e.getValue(), Pods.ipv4(p), e.getKey());
            String id = Pods.reservation(p).get("id").asText();
            assertEquals(SpiderpoolLedger.reservationId(p.getMetadata().getUid()), id);
            assertEquals(id, p.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id"));
            // its endpoint taken over right after (or by the next adoption pass)
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace(NS)
                        .withName(e.getKey()).get();
                assertEquals(id, se.getStatus().current.reservationID);
                assertFalse(se.getMetadata().getFinalizers() != null
                        && se.getMetadata().getFinalizers().contains("spiderpool.spidernet.io"), e.getKey());
            });
        }

        // the CNI plugin's ledger check passes for a running pod: CHECK with its address, DEL
        Pod depB = pod("dep-b");
        RealCluster.Result check = plugin("CHECK", depB, prev("10.228.0.11"));
        assertEquals(0, check.code(), check.out() + check.err());
        RealCluster.Result wrong = plugin("CHECK", depB, prev("10.228.0.20"));
        assertNotEquals(0, wrong.code(), "CHECK compares with the ledger's address");
        assertEquals(0, plugin("DEL", depB, null).code());

        // new pods, racing the adoption's aftermath, never get an address a running pod holds
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        ExecutorService ex = Executors.newFixedThreadPool(4);
        List<Future<Pod>> created = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String name = "new-" + i;
            created.add(ex.submit(() -> create(NS, name, ANNOTATION, errors)));
        }
        Set<String> seen = new HashSet<>(had.values());
        for (Future<Pod> f : created) {
            Pod p = f.get(120, TimeUnit.SECONDS);
            assertNotNull(p, () -> "refused: " + errors);
            assertTrue(seen.add(Pods.ipv4(p)), "address handed out twice: " + Pods.ipv4(p));
        }
        ex.shutdown();

        // the record of the pod that no longer exists is released by the sweep (orphan TTL 10 s here)
        // (a new pod may take that address afterwards: it is the lowest free one)
        String goneId = SpiderpoolLedger.reservationId(goneUid);
        await().atMost(Duration.ofSeconds(90)).until(() -> !ledger().owner(IpAddress.parse("10.228.0.14"))
                .map(goneId::equals).orElse(false));
        // deleting an old pod releases its address
        String depA = SpiderpoolLedger.reservationId(pod("dep-a").getMetadata().getUid());
        cluster.kubectl("delete", "pod", "dep-a", "-n", NS, "--wait=true").ok();
        await().atMost(Duration.ofSeconds(90)).until(() -> !ledger().owner(IpAddress.parse("10.228.0.10"))
                .map(depA::equals).orElse(false));
        assertTrue(ledger().owner(IpAddress.parse("10.228.0.11")).isPresent(), "dep-b still holds its address");

        // a StatefulSet pod recreated (new UID, through the webhook) gets its old address back; ADD confirms it
        String oldUid = pod("web-1").getMetadata().getUid();
        cluster.kubectl("delete", "pod", "web-1", "-n", NS, "--wait=true").ok();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            Pod p = pod("web-1");
            return p != null && !oldUid.equals(p.getMetadata().getUid()) && Pods.ipv4(p) != null;
        });
        Pod web1 = pod("web-1");
        assertEquals("10.228.0.13", Pods.ipv4(web1));
        RealCluster.Result add = plugin("ADD", web1, null);
        assertEquals(0, add.code(), add.out() + add.err());
        assertTrue(add.out().contains("\"10.228.0.13/16\""), add.out());
        assertEquals(SpiderpoolLedger.reservationId(oldUid), ledger().owner(IpAddress.parse("10.228.0.13"))
                .orElseThrow(), "the StatefulSet's reservation, not a new one");
    }

    private static String quote(String json) {
        return "\"" + json.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
