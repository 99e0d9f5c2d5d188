package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.SpiderpoolLedger;
import io.fabric8.kubernetes.api.model.Pod;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * From Spiderpool to Spinneret with the state written by <em>Spiderpool itself</em> (issue 24, item 2): Spiderpool
 * v1.2.1's own CRDs, its agent (and its controller, for an auto-pool from a SpiderSubnet) running on this host
 * outside a pod against the shared control plane, and its {@code spiderpool} plugin's ADD through the agent for the
 * pods of a Deployment, a StatefulSet and an auto-pool Deployment (created by the real controller-manager, no
 * Spinneret webhook), a SpiderReservedIP in the pool. Then Spiderpool is stopped, the CRD schemas upgraded and
 * Spinneret installed (two replicas), as docs/migrate-from-spiderpool.md says, and every point of issue 24 item 1 that
 * applies on the control plane is checked. The plugin is called directly (no kubelet here). Needs root (the
 * plugin opens CNI_NETNS) and the build of integration-tests/scripts/build-spiderpool.sh; skipped otherwise.
 * Addresses 10.229.0.0/16.
 */
@Tag("netns")
class SpiderpoolOwnBinariesAdoptionIT {
    static final String NS = "adopt-sp";
    static final String POOL = "adopt-sp-pool";
    static final String SUBNET = "adopt-sp-subnet";
    static final String RANGE = "10.229.0.10-10.229.0.29"; // 20 addresses
    static final String RESERVED = "10.229.0.20";
    static final String ANNOTATION = "{\"ipv4\":[\"" + POOL + "\"]}";
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path EVIDENCE = Path.of("target/spiderpool-own-binaries").toAbsolutePath();
    static RealCluster cluster;
    static SpiderpoolHost spiderpool;
    static final List<String> addedCrds = new ArrayList<>();

    /** Why this test cannot run here (reported as the test's skip reason), or null. */
    static String unavailable;

    @BeforeAll
    static void up() throws Exception {
        if (!SpiderpoolHost.root()) {
            unavailable = "SpiderpoolOwnBinariesAdoptionIT needs root: Spiderpool's plugin opens CNI_NETNS (an empty "
                    + "network namespace made with `ip netns add`)";
            return;
        }
        SpiderpoolHost.Build build = SpiderpoolHost.build();
        if (build.dir() == null) {
            unavailable = "Spiderpool's own binaries are not available (" + build.unavailable() + "); "
                    + "integration-tests/scripts/build-spiderpool.sh builds them from a snapshot of its public source";
            return;
        }
        cluster = RealCluster.get();
        spiderpool = new SpiderpoolHost(build.dir(), Path.of(cluster.env.get("KUBECONFIG")), EVIDENCE);
    }

    @AfterAll
    static void down() {
        if (spiderpool != null) {
            spiderpool.close();
        }
        if (cluster != null) {
            cluster.kubectl("delete", "namespace", NS, "--wait=false");
            cluster.kubectl("delete", "spidersubnet", SUBNET, "--ignore-not-found", "--wait=false");
            cluster.kubectl("delete", "spiderippool", POOL, "--ignore-not-found", "--wait=false");
            for (String crd : addedCrds) { // Spiderpool's CRDs Spinneret does not have (coordinators, multus configs)
                cluster.kubectl("delete", "crd", crd, "--wait=false");
            }
        }
    }

    static Pod pod(String name) {
        return cluster.client().pods().inNamespace(NS).withName(name).get();
    }

    static List<Pod> podsOf(String app) {
        return cluster.client().pods().inNamespace(NS).withLabel("app", app).list().getItems();
    }

    static AllocationLedger ledger(String pool) {
        return AllocationLedger.decode(IpFamily.V4, Ledgers.of(cluster.client(), pool));
    }

    static SpiderIPPool pool(String name) {
        return cluster.client().resources(SpiderIPPool.class).withName(name).get();
    }

    static List<SpiderIPPool> autoPools() {
        return cluster.client().resources(SpiderIPPool.class)
                .withLabels(Map.of("ipam.spidernet.io/owner-application-namespace", NS,
                        "ipam.spidernet.io/owner-application-name", "auto"))
                .list().getItems();
    }

    static String prev(String address) {
        return "{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"" + address + "/24\"}]}";
    }

    /** Spiderpool's CRD files in place of Spinneret's (replace, so that exactly Spiderpool's schema is served). */
    static void installSpiderpoolCrds() throws Exception {
        for (Path f : spiderpool.crds()) {
            String name = cluster.kubectl("create", "-f", f.toString(), "--dry-run=client", "-o", "name").ok().out()
                    .strip().replaceFirst("^.*/", "");
            if (cluster.kubectl("get", "crd", name).code() == 0) {
                cluster.kubectl("replace", "-f", f.toString()).ok();
            } else {
                cluster.kubectl("create", "-f", f.toString()).ok();
                addedCrds.add(name);
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> cluster.kubectl("wait", "--for=condition=Established",
                    "--timeout=5s", "crd/" + name).code() == 0);
        }
        // it is Spiderpool's schema now: no field of Spinneret's in the endpoint's
        String schema = cluster.kubectl("get", "crd", "spiderendpoints.spiderpool.spidernet.io", "-o", "json").ok()
                .out();
        assertFalse(schema.contains("reservationID"), "Spiderpool's own SpiderEndpoint CRD is served");
    }

    /** Spiderpool's ADD for a pod of this namespace: its address. */
    static String spiderpoolAdd(Pod p, String conf) throws Exception {
        JsonNode r = spiderpool.add(conf, "sp-" + p.getMetadata().getUid().substring(0, 8), NS,
                p.getMetadata().getName(), p.getMetadata().getUid());
        return SpiderpoolHost.ipv4(r);
    }

    @Test
    void whatSpiderpoolsOwnAgentAndControllerAllocatedIsAdopted() throws Exception {
        assumeTrue(unavailable == null, unavailable);
        long t0 = System.nanoTime();
        boolean withController = spiderpool.hasController();
        Map<String, String> had = new LinkedHashMap<>(); // pod → the address Spiderpool's ADD gave it
        Map<String, String> uids = new LinkedHashMap<>();
        String autoPool = null;
        // what an earlier run left (its pool outlives its namespace): gone while Spinneret still runs
        cluster.kubectl("delete", "namespace", NS, "--ignore-not-found", "--timeout=120s").ok();
        cluster.kubectl("delete", "spiderippool", POOL, "--ignore-not-found", "--timeout=120s").ok();
        SpiderpoolAdoptionIT.stopSpinneretAndItsWebhooks();
        try {
            // ---- a cluster run by Spiderpool v1.2.1: its CRDs, its agent (and controller), its plugin ----
            // (its webhooks are not registered: what its mutating webhook adds to pools and subnets, ipVersion and
            // its finalizer, is written here; its controller dereferences a subnet's ipVersion unchecked)
            installSpiderpoolCrds();
            TestNamespace.create(cluster, NS);
            cluster.kubectlApply("""
                    apiVersion: spiderpool.spidernet.io/v2beta1
                    kind: SpiderIPPool
                    metadata:
                      name: %s
                      finalizers: [spiderpool.spidernet.io]
                    spec:
                      ipVersion: 4
                      subnet: 10.229.0.0/24
                      gateway: 10.229.0.1
                      ips:
                      - %s
                    ---
                    apiVersion: spiderpool.spidernet.io/v2beta1
                    kind: SpiderReservedIP
                    metadata:
                      name: %s
                    spec:
                      ipVersion: 4
                      ips:
                      - %s
                    """.formatted(POOL, RANGE, POOL + "-reserved", RESERVED)).ok();
            if (withController) {
                cluster.kubectlApply("""
                        apiVersion: spiderpool.spidernet.io/v2beta1
                        kind: SpiderSubnet
                        metadata:
                          name: %s
                          finalizers: [spiderpool.spidernet.io]
                        spec:
                          ipVersion: 4
                          subnet: 10.229.1.0/24
                          gateway: 10.229.1.1
                          ips:
                          - 10.229.1.10-10.229.1.40
                        """.formatted(SUBNET)).ok();
            }
            spiderpool.startAgent("adopt-sp-node", withController, "info");
            if (withController) {
                spiderpool.startController(true, "info");
            }
            cluster.kubectlApply(Yaml.deployment(NS, "dep", 2, ANNOTATION)).ok();
            cluster.kubectlApply(Yaml.statefulSet(NS, "web", 2, ANNOTATION)).ok();
            if (withController) {
                cluster.kubectlApply(Yaml.workload("Deployment", NS, "auto", 2,
                        "ipam.spidernet.io/subnet: '{\"ipv4\":[\"" + SUBNET + "\"]}'",
                        "ipam.spidernet.io/ippool-ip-number: '+1'")).ok();
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> podsOf("dep").size() == 2 && podsOf("web").size() == 2
                    && (!withController || podsOf("auto").size() == 2));
            for (Pod p : cluster.client().pods().inNamespace(NS).list().getItems()) {
                assertNull(Pods.reservation(p), "no Spinneret webhook saw " + p.getMetadata().getName());
            }
            String conf = spiderpool.pluginConf(null, "info");
            List<Pod> served = new ArrayList<>(podsOf("dep"));
            served.add(pod("web-0"));
            served.add(pod("web-1"));
            for (Pod p : served) {
                had.put(p.getMetadata().getName(), spiderpoolAdd(p, conf));
                uids.put(p.getMetadata().getName(), p.getMetadata().getUid());
            }
            if (withController) {
                await("the auto-pool Spiderpool's controller makes for Deployment auto")
                        .atMost(Duration.ofSeconds(90)).until(() -> {
                            if (spiderpool.controller().map(c -> !c.isAlive()).orElse(true)) {
                                throw new IllegalStateException("spiderpool-controller exited: "
                                        + spiderpool.log("spiderpool-controller"));
                            }
                            return autoPools().size() == 1;
                        });
                autoPool = autoPools().get(0).getMetadata().getName();
                for (Pod p : podsOf("auto")) {
                    had.put(p.getMetadata().getName(), spiderpoolAdd(p, conf));
                    uids.put(p.getMetadata().getName(), p.getMetadata().getUid());
                }
            }
            assertEquals(had.size(), new HashSet<>(had.values()).size(), "Spiderpool gave distinct addresses: " + had);
            assertFalse(had.containsValue(RESERVED), "Spiderpool skips its SpiderReservedIP");
            // what Spiderpool wrote, kept for the report (and compared with SpiderpoolAdoptionIT's fixtures)
            Files.writeString(EVIDENCE.resolve("written-by-spiderpool.yaml"), cluster.kubectl("get",
                    "spiderippools,spidersubnets,spiderreservedips", "-o", "yaml").ok().out() + "\n---\n"
                    + cluster.kubectl("get", "spiderendpoints", "-n", NS, "-o", "yaml").ok().out());
            JsonNode ledgerJson = JSON.readTree(pool(POOL).getStatus().allocatedIPs);
            for (var e : had.entrySet()) {
                if (e.getKey().startsWith("auto-")) {
                    continue;
                }
                JsonNode rec = ledgerJson.get(e.getValue());
                assertNotNull(rec, "Spiderpool's ledger records " + e);
                assertEquals(NS + "/" + e.getKey(), rec.get("pod").asText());
                assertEquals(uids.get(e.getKey()), rec.get("podUid").asText());
                SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace(NS)
                        .withName(e.getKey()).get();
                assertEquals(uids.get(e.getKey()), se.getStatus().current.uid);
                assertEquals(e.getValue(), se.getStatus().current.ips.get(0).ipv4.replaceFirst("/.*", ""));
            }
        } finally {
            // ---- the runbook: Spiderpool stopped, the CRD schemas upgraded, Spinneret installed ----
            spiderpool.stopController();
            spiderpool.stopAgent();
            cluster.kubectl("apply", "--server-side", "--force-conflicts", "-f",
                    RealCluster.ROOT.resolve("helm/spinneret/crds").toString()).ok();
            MultusIT.restart(true); // two replicas: both start adopting
        }
        long stopped = System.nanoTime();

        // adopted: every address Spiderpool gave is in Spinneret's ledger, bound to the same pod (name and UID)
        List<String> pools = autoPool == null ? List.of(POOL) : List.of(POOL, autoPool);
        await().atMost(Duration.ofSeconds(90)).until(() -> pools.stream()
                .allMatch(n -> PoolBlocks.MARKER.equals(pool(n).getStatus().allocatedIPs)));
        for (var e : had.entrySet()) {
            String pool = e.getKey().startsWith("auto-") ? autoPool : POOL;
            String id = SpiderpoolLedger.reservationId(uids.get(e.getKey()));
            assertEquals(id, ledger(pool).owner(IpAddress.parse(e.getValue())).orElse(null), e.toString());
            assertEquals(NS + "/" + e.getKey(), Ledgers.holders(cluster.client(), pool).get(id), e.getKey());
        }
        // no running pod's address changes: its reservation is the address Spiderpool gave it
        await().atMost(Duration.ofSeconds(90)).until(() -> had.keySet().stream()
                .allMatch(n -> Pods.ipv4(pod(n)) != null));
        for (var e : had.entrySet()) {
            Pod p = pod(e.getKey());
            assertEquals(uids.get(e.getKey()), p.getMetadata().getUid());
            assertEquals(e.getValue(), Pods.ipv4(p), e.getKey());
            String id = Pods.reservation(p).get("id").asText();
            assertEquals(SpiderpoolLedger.reservationId(p.getMetadata().getUid()), id);
            // SpiderEndpoints carry over: the reservation, Spiderpool's finalizer gone, a StatefulSet's owned by it
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace(NS)
                        .withName(e.getKey()).get();
                assertEquals(id, se.getStatus().current.reservationID);
                assertEquals(e.getValue(), se.getStatus().current.ips.get(0).ipv4.replaceFirst("/.*", ""));
                assertFalse(se.getMetadata().getFinalizers() != null
                        && se.getMetadata().getFinalizers().contains("spiderpool.spidernet.io"), e.getKey());
                if (e.getKey().startsWith("web-")) {
                    assertTrue(se.getMetadata().getOwnerReferences().stream()
                            .anyMatch(r -> r.getKind().equals("StatefulSet") && r.getName().equals("web")), "owned");
                }
            });
        }
        long adopted = System.nanoTime();

        // Spinneret's plugin (installed as `spiderpool`) on an old pod: CHECK with its address, not another; DEL
        List<String> deps = had.keySet().stream().filter(n -> n.startsWith("dep-")).sorted().toList();
        Pod depB = pod(deps.get(1));
        String depBAddress = had.get(deps.get(1));
        RealCluster.Result check = SpiderpoolAdoptionIT.plugin("CHECK", depB, prev(depBAddress));
        assertEquals(0, check.code(), check.out() + check.err());
        String other = had.get("web-0");
        RealCluster.Result wrong = SpiderpoolAdoptionIT.plugin("CHECK", depB, prev(other));
        assertNotEquals(0, wrong.code(), "CHECK compares with the ledger's address");
        RealCluster.Result del = SpiderpoolAdoptionIT.plugin("DEL", depB, null);
        assertEquals(0, del.code(), del.out() + del.err());

        // deleting an old pod releases its address; its ReplicaSet's replacement gets none a pod holds
        String depA = deps.get(0);
        String depAId = SpiderpoolLedger.reservationId(uids.get(depA));
        cluster.kubectl("delete", "pod", depA, "-n", NS, "--wait=true").ok();
        await().atMost(Duration.ofSeconds(90)).until(() -> !ledger(POOL).owner(IpAddress.parse(had.get(depA)))
                .map(depAId::equals).orElse(false));
        await().atMost(Duration.ofSeconds(90)).until(() -> podsOf("dep").stream()
                .anyMatch(p -> !had.containsKey(p.getMetadata().getName()) && Pods.ipv4(p) != null));
        Pod replacement = podsOf("dep").stream().filter(p -> !had.containsKey(p.getMetadata().getName()))
                .findFirst().orElseThrow();
        Set<String> held = new HashSet<>(had.values());
        held.remove(had.get(depA));
        String replacementAddress = Pods.ipv4(replacement);
        assertFalse(held.contains(replacementAddress), "a held address handed out again: " + replacementAddress);
        assertNotEquals(RESERVED, replacementAddress);
        held.add(replacementAddress);

        // the recreated StatefulSet pod (new UID, through Spinneret's webhook) gets its old address; ADD gives it
        String oldUid = uids.get("web-1");
        cluster.kubectl("delete", "pod", "web-1", "-n", NS, "--wait=true").ok();
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            Pod p = pod("web-1");
            return p != null && !oldUid.equals(p.getMetadata().getUid()) && Pods.ipv4(p) != null;
        });
        Pod web1 = pod("web-1");
        assertEquals(had.get("web-1"), Pods.ipv4(web1));
        RealCluster.Result add = SpiderpoolAdoptionIT.plugin("ADD", web1, null);
        assertEquals(0, add.code(), add.out() + add.err());
        assertTrue(add.out().contains("\"" + had.get("web-1") + "/24\""), add.out());
        assertEquals(SpiderpoolLedger.reservationId(oldUid), ledger(POOL).owner(IpAddress.parse(had.get("web-1")))
                .orElseThrow(), "the StatefulSet's reservation, not a new one");

        // the auto-pool carries over: a third replica is served from it, and it is sized to 3 + 1 as Spiderpool did
        if (autoPool != null) {
            String name = autoPool;
            cluster.kubectl("scale", "deployment", "auto", "-n", NS, "--replicas=3").ok();
            await().atMost(Duration.ofSeconds(90)).until(() -> podsOf("auto").size() == 3
                    && podsOf("auto").stream().allMatch(p -> Pods.ipv4(p) != null));
            Set<String> autoAddresses = new HashSet<>();
            for (Pod p : podsOf("auto")) {
                String a = Pods.ipv4(p);
                assertTrue(IpRangeSet.parse(IpFamily.V4, pool(name).getSpec().ips).contains(IpAddress.parse(a)),
                        a + " in " + name);
                assertTrue(autoAddresses.add(a), "address handed out twice: " + a);
            }
            assertEquals(1, autoPools().size(), "no second auto-pool for the same Deployment");
            await().atMost(Duration.ofSeconds(60)).until(() -> IpRangeSet.parse(IpFamily.V4, pool(name).getSpec().ips)
                    .sizeSaturatedLong() == 4);
        }

        // new pods take every address left and never one a pod holds, nor the SpiderReservedIP
        long free = 20 - 1 - held.stream().filter(a -> a.startsWith("10.229.0.")).count(); // in POOL's range
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        ExecutorService ex = Executors.newFixedThreadPool(4);
        List<Future<Pod>> created = new ArrayList<>();
        for (int i = 0; i < free; i++) {
            String name = "new-" + i;
            created.add(ex.submit(() -> SpiderpoolAdoptionIT.create(NS, name, ANNOTATION, errors)));
        }
        Set<String> seen = new HashSet<>(held);
        for (Future<Pod> f : created) {
            Pod p = f.get(120, TimeUnit.SECONDS);
            assertNotNull(p, () -> "refused: " + errors);
            String a = Pods.ipv4(p);
            assertNotEquals(RESERVED, a, "the SpiderReservedIP was handed out");
            assertTrue(seen.add(a), "address handed out twice: " + a);
        }
        ex.shutdown();
        // and still no old pod's address changed
        for (var e : had.entrySet()) {
            if (!e.getKey().equals(depA)) {
                assertEquals(e.getValue(), Pods.ipv4(pod(e.getKey())), e.getKey());
            }
        }
        System.err.printf("SpiderpoolOwnBinariesAdoptionIT: Spiderpool %s (agent%s) served %d pods in %.0f s; "
                + "adopted in %.0f s; whole test %.0f s; load average %s%n",
                Files.readString(spiderpool.dir.resolve("VERSION")).strip(), withController ? " + controller" : "",
                had.size(), (stopped - t0) / 1e9, (adopted - stopped) / 1e9, (System.nanoTime() - t0) / 1e9,
                Files.readString(Path.of("/proc/loadavg")).strip());
    }
}
