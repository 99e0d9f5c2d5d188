package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Automatic pools beyond the seed's walkthrough (which SeedWalkthroughIT replays): racing first pods, StatefulSets,
 * reclaim=false adoption, subnet changes, third-party controllers, multi-NIC and bare pods — all against the real
 * API server, kube-controller-manager creating the pods and two Spinneret replicas behind a round-robin proxy.
 */
@Tag("api-server")
class AutoPoolIT {
    static RealCluster cluster;
    static final String SUBNET = "ipam.spidernet.io/subnet: '{\"ipv4\":[\"auto-a\"]}'";

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
        cluster.kubectlApply(Yaml.subnet("auto-a", "10.90.0.0/16", "10.90.0.1-10.90.0.200")).ok();
        cluster.kubectlApply(Yaml.subnet("auto-b", "10.91.0.0/16", "10.91.0.1-10.91.0.200")).ok();
        TestNamespace.create(cluster, "auto");
    }

    static List<SpiderIPPool> poolsOf(String kind, String name) {
        return cluster.client().resources(SpiderIPPool.class)
                .withLabels(Map.of("ipam.spidernet.io/owner-application-kind", kind,
                        "ipam.spidernet.io/owner-application-namespace", "auto",
                        "ipam.spidernet.io/owner-application-name", name))
                .list().getItems();
    }

    static List<Pod> pods(String app) {
        return cluster.client().pods().inNamespace("auto").withLabel("app", app).list().getItems();
    }

    static boolean inside(SpiderIPPool pool, String ip) {
        return ip != null && IpRangeSet.parse(IpFamily.V4, pool.getSpec().ips).contains(IpAddress.parse(ip));
    }

    @Test
    void firstPodsRacingOnTwoReplicasShareOnePool() {
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "burst", 20, SUBNET,
                "ipam.spidernet.io/ippool-ip-number: '+2'")).ok();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            List<Pod> pods = pods("burst");
            assertEquals(20, pods.size());
            assertTrue(pods.stream().allMatch(p -> Pods.ipv4(p) != null));
        });
        List<SpiderIPPool> pools = poolsOf("Deployment", "burst");
        assertEquals(1, pools.size(), "one pool for the Deployment, however its first pods raced");
        List<String> ips = Pods.ipv4s(pods("burst"));
        assertEquals(20, new HashSet<>(ips).size(), "no address twice: " + ips);
        assertTrue(ips.stream().allMatch(ip -> inside(pools.get(0), ip)), ips + " vs " + pools.get(0).getSpec().ips);
        assertEquals(22, IpRangeSet.parse(IpFamily.V4, pools.get(0).getSpec().ips).sizeSaturatedLong());
        cluster.kubectl("delete", "deploy", "burst", "-n", "auto").ok();
    }

    @Test
    void statefulSetOrdinalsKeepTheirAddressesInTheirAutoPool() {
        cluster.kubectlApply(Yaml.workload("StatefulSet", "auto", "db", 2, SUBNET)).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("db").size() == 2
                && pods("db").stream().allMatch(p -> Pods.ipv4(p) != null));
        SpiderIPPool pool = poolsOf("StatefulSet", "db").get(0);
        assertEquals(3, IpRangeSet.parse(IpFamily.V4, pool.getSpec().ips).sizeSaturatedLong(), "2 replicas + 1 by default");
        Pod db1 = cluster.client().pods().inNamespace("auto").withName("db-1").get();
        String ip = Pods.ipv4(db1);
        assertTrue(inside(pool, ip));
        cluster.kubectl("delete", "pod", "-n", "auto", "db-1").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Pod p = cluster.client().pods().inNamespace("auto").withName("db-1").get();
            assertNotNull(p);
            assertNotEquals(db1.getMetadata().getUid(), p.getMetadata().getUid());
            assertEquals(ip, Pods.ipv4(p), "the new db-1 has the old db-1's address");
        });
        cluster.kubectl("delete", "statefulset", "db", "-n", "auto").ok();
    }

    @Test
    void reclaimFalseKeepsThePoolForTheNextWorkloadOfThatKindAndName() throws Exception {
        String reclaim = "ipam.spidernet.io/ippool-reclaim: 'false'";
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "keeper", 2, SUBNET, reclaim)).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("keeper").size() == 2
                && pods("keeper").stream().allMatch(p -> Pods.ipv4(p) != null));
        SpiderIPPool kept = poolsOf("Deployment", "keeper").get(0);
        List<String> firstIps = kept.getSpec().ips;
        cluster.kubectl("delete", "deploy", "keeper", "-n", "auto").ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("keeper").isEmpty()
                && Pods.allocated(cluster.client(), kept.getMetadata().getName()) == 0);
        Thread.sleep(12_000); // more than two GC sweeps (5 s in tests): a reclaim=true pool would be gone by now
        assertNotNull(cluster.client().resources(SpiderIPPool.class).withName(kept.getMetadata().getName()).get());

        // a StatefulSet of the same name is another application: it gets its own pool
        cluster.kubectlApply(Yaml.workload("StatefulSet", "auto", "keeper", 1, SUBNET, reclaim)).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("keeper").size() == 1
                && Pods.ipv4(pods("keeper").get(0)) != null);
        assertEquals(1, poolsOf("StatefulSet", "keeper").size());
        assertNotEquals(kept.getMetadata().getName(), poolsOf("StatefulSet", "keeper").get(0).getMetadata().getName());
        cluster.kubectl("delete", "statefulset", "keeper", "-n", "auto").ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("keeper").isEmpty());

        // the same kind and name adopts it: same pool, same addresses
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "keeper", 2, SUBNET, reclaim)).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("keeper").size() == 2
                && pods("keeper").stream().allMatch(p -> Pods.ipv4(p) != null));
        List<SpiderIPPool> now = poolsOf("Deployment", "keeper");
        assertEquals(1, now.size());
        assertEquals(kept.getMetadata().getName(), now.get(0).getMetadata().getName());
        assertEquals(firstIps, now.get(0).getSpec().ips);
        String uid = cluster.client().apps().deployments().inNamespace("auto").withName("keeper").get().getMetadata()
                .getUid();
        assertEquals(uid, now.get(0).getMetadata().getLabels().get("ipam.spidernet.io/owner-application-uid"));
        assertTrue(pods("keeper").stream().allMatch(p -> inside(now.get(0), Pods.ipv4(p))));
        cluster.kubectl("delete", "deploy", "keeper", "-n", "auto").ok();
    }

    @Test
    void changingTheSubnetOfAWorkloadWithAnAutoPoolIsRefusedWithAnEvent() {
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "mover", 1, SUBNET)).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> poolsOf("Deployment", "mover").size() == 1);
        var r = cluster.kubectlApply(Yaml.workload("Deployment", "auto", "mover", 1,
                "ipam.spidernet.io/subnet: '{\"ipv4\":[\"auto-b\"]}'"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("subnet cannot change") && r.err().contains("auto-a"), r.err());
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertTrue(cluster.kubectl("get", "events", "-n",
                "auto", "--field-selector", "reason=ApplicationSubnetChanged").ok().out().contains("mover")));

        // the documented way out: move the workload to a pool of the new subnet; the automatic pool is reclaimed
        // (no kubelet here, so pods never become Ready and a rolling update would wait forever: scale to 0 first)
        cluster.kubectlApply(Yaml.pool("mover-pool", "10.91.0.0/16", "10.91.0.150-10.91.0.160")).ok();
        cluster.kubectl("scale", "deploy", "mover", "-n", "auto", "--replicas=0").ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("mover").isEmpty());
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "mover", 1,
                "ipam.spidernet.io/ippool: '{\"ipv4\":[\"mover-pool\"]}'")).ok();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            List<Pod> pods = pods("mover");
            assertEquals(1, pods.size());
            assertTrue(Pods.ipv4(pods.get(0)).startsWith("10.91.0.1"), Pods.ipv4(pods.get(0)));
            assertTrue(poolsOf("Deployment", "mover").isEmpty(), "the automatic pool was reclaimed");
        });
        cluster.kubectl("delete", "deploy", "mover", "-n", "auto").ok();
    }

    @Test
    void multiNicSubnetsGiveOnePoolPerInterface() {
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "twonic", 1, "ipam.spidernet.io/subnets: '["
                + "{\"interface\":\"eth0\",\"ipv4\":[\"auto-a\"]},{\"interface\":\"net1\",\"ipv4\":[\"auto-b\"]}]'"))
                .ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("twonic").size() == 1
                && Pods.reservation(pods("twonic").get(0)) != null);
        var interfaces = Pods.reservation(pods("twonic").get(0)).get("interfaces");
        assertEquals(2, interfaces.size());
        assertTrue(interfaces.get(0).get("ipv4").asText().startsWith("10.90."), interfaces.toString());
        assertTrue(interfaces.get(1).get("ipv4").asText().startsWith("10.91."), interfaces.toString());
        assertTrue(interfaces.get(1).get("ipv4Pool").asText().matches("auto-twonic-v4-net1-[0-9a-f]{12}"));
        assertEquals(2, poolsOf("Deployment", "twonic").size());
        cluster.kubectl("delete", "deploy", "twonic", "-n", "auto").ok();
    }

    @Test
    void thirdPartyControllersNeedAFixedSizeAndBarePodsAreRefused() {
        var owner = cluster.client().configMaps().inNamespace("auto").resource(new io.fabric8.kubernetes.api.model
                .ConfigMapBuilder().withNewMetadata().withName("operator-owned").withNamespace("auto").endMetadata()
                .build()).create();
        String pod = """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: auto
                  annotations:
                    ipam.spidernet.io/subnet: '{"ipv4":["auto-a"]}'
                    %s
                  ownerReferences:
                  - apiVersion: v1
                    kind: ConfigMap
                    name: operator-owned
                    uid: %s
                    controller: true
                spec:
                  containers:
                  - name: app
                    image: nginx
                """;
        String uid = owner.getMetadata().getUid();
        var flexible = cluster.kubectlApply(pod.formatted("op-a", "spinneret.dev/x: 'y'", uid));
        assertNotEquals(0, flexible.code());
        assertTrue(flexible.err().contains("fixed size") && flexible.err().contains("ippool-ip-number"), flexible.err());
        cluster.kubectlApply(pod.formatted("op-b", "ipam.spidernet.io/ippool-ip-number: '2'", uid)).ok();
        SpiderIPPool pool = poolsOf("ConfigMap", "operator-owned").get(0);
        assertEquals(2, IpRangeSet.parse(IpFamily.V4, pool.getSpec().ips).sizeSaturatedLong());
        assertTrue(inside(pool, Pods.ipv4(cluster.client().pods().inNamespace("auto").withName("op-b").get())));

        var bare = cluster.kubectl("run", "bare", "-n", "auto", "--image=nginx",
                "--annotations=ipam.spidernet.io/subnet={\"ipv4\":[\"auto-a\"]}");
        assertNotEquals(0, bare.code());
        assertTrue(bare.err().contains("no controller"), bare.err());
        cluster.kubectl("delete", "pod", "op-b", "-n", "auto").ok();
    }

    @Test
    void jobPoolsAreSizedByParallelism() {
        cluster.kubectlApply("""
                apiVersion: batch/v1
                kind: Job
                metadata:
                  name: batch
                  namespace: auto
                spec:
                  parallelism: 3
                  completions: 6
                  template:
                    metadata:
                      labels:
                        app: batch
                      annotations:
                        ipam.spidernet.io/subnet: '{"ipv4":["auto-a"]}'
                        ipam.spidernet.io/ippool-ip-number: '+2'
                    spec:
                      restartPolicy: Never
                      containers:
                      - name: app
                        image: busybox
                """).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> pods("batch").size() == 3
                && pods("batch").stream().allMatch(p -> Pods.ipv4(p) != null));
        SpiderIPPool pool = poolsOf("Job", "batch").get(0);
        assertEquals(5, IpRangeSet.parse(IpFamily.V4, pool.getSpec().ips).sizeSaturatedLong(), "parallelism 3 + 2");
        assertTrue(pods("batch").stream().allMatch(p -> inside(pool, Pods.ipv4(p))));
        cluster.kubectl("delete", "job", "batch", "-n", "auto", "--cascade=foreground").ok();
        await().atMost(Duration.ofSeconds(90)).until(() -> poolsOf("Job", "batch").isEmpty());
    }
}
