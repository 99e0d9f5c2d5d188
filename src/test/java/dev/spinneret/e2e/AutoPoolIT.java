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
import dev.spinneret.ip.AllocationLedger;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Automatic pools beyond the seed's walkthrough (which SeedWalkthroughIT replays): racing first pods (created
 * directly, from threads), StatefulSets, reclaim=false adoption, subnet changes, third-party controllers, multi-NIC
 * and bare pods — all against the real API server, kube-controller-manager creating the workloads' pods and two
 * Spinneret replicas behind a round-robin proxy.
 */
@Tag("api-server")
class AutoPoolIT {
    static RealCluster cluster;
    static final String SUBNET = "ipam.spidernet.io/subnet: '{\"ipv4\":[\"auto-a\"]}'";
    static final String HOLD = "spinneret.dev/test-hold";

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

    /**
     * A03: the first pods of a workload race to create its automatic pool. Twelve bare pods, owned by one
     * Deployment's ReplicaSet, are created directly from twelve threads released together (no controller paces or
     * retries them): every create is answered — admitted, or refused by the webhook naming the full pool, never a 500
     * or a timeout — and exactly one pool is made, of the size {@code ippool-ip-number} fixes (10), holding every
     * admitted pod's address once. The ReplicaSet is real (its owner the real Deployment, replicas 0), held in
     * deletion by a finalizer: a ReplicaSet being deleted neither deletes the pods it did not want nor releases them,
     * so the controller-manager touches none of the racing pods.
     */
    @Test
    void firstPodsRacingOnTwoReplicasShareOnePool() throws Exception {
        int racers = 12;
        int size = 10;
        cluster.kubectlApply(Yaml.workload("Deployment", "auto", "burst", 0, SUBNET,
                "ipam.spidernet.io/ippool-ip-number: '" + size + "'")).ok();
        var deployment = cluster.client().apps().deployments().inNamespace("auto").withName("burst").get();
        var rs = cluster.client().apps().replicaSets().inNamespace("auto").resource(new ReplicaSetBuilder()
                .withNewMetadata().withName("burst-racers").withNamespace("auto").withLabels(Map.of("app", "burst"))
                .withFinalizers(HOLD).addNewOwnerReference().withApiVersion("apps/v1").withKind("Deployment")
                .withName("burst").withUid(deployment.getMetadata().getUid()).withController(true).endOwnerReference()
                .endMetadata().withNewSpec().withReplicas(0).withNewSelector().withMatchLabels(Map.of("app", "burst"))
                .endSelector().withNewTemplate().withNewMetadata().withLabels(Map.of("app", "burst")).endMetadata()
                .withNewSpec().addNewContainer().withName("app").withImage("nginx").endContainer().endSpec()
                .endTemplate().endSpec().build()).create();
        cluster.client().apps().replicaSets().inNamespace("auto").withName("burst-racers").delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> cluster.client().apps().replicaSets().inNamespace("auto")
                .withName("burst-racers").get().isMarkedForDeletion());
        assertTrue(poolsOf("Deployment", "burst").isEmpty(), "no pool before the first pod");

        // a client of its own that sends all twelve creates at once (fabric8's default is 5 per host) and never
        // retries: fabric8 repeats a create answered with a 5xx, which would hide a 503 refusal behind a later success
        Config config = new ConfigBuilder(cluster.client().getConfiguration()).withMaxConcurrentRequests(64)
                .withMaxConcurrentRequestsPerHost(64).withRequestTimeout(60_000).withRequestRetryBackoffLimit(0)
                .build();
        List<Double> reviewsBefore = podReviewsPerReplica();
        List<Pod> admitted = Collections.synchronizedList(new ArrayList<>());
        List<KubernetesClientException> refused = Collections.synchronizedList(new ArrayList<>());
        long[] sent = new long[racers];
        long[] answered = new long[racers];
        try (KubernetesClient racing = new KubernetesClientBuilder().withConfig(config).build()) {
            racing.pods().inNamespace("auto").list(); // connections and TLS set up before the start
            CyclicBarrier start = new CyclicBarrier(racers);
            ExecutorService threads = Executors.newFixedThreadPool(racers);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < racers; i++) {
                int n = i;
                Pod pod = new PodBuilder().withNewMetadata().withName("burst-" + n).withNamespace("auto")
                        .withLabels(Map.of("app", "burst")).withAnnotations(Map.of("ipam.spidernet.io/subnet",
                                "{\"ipv4\":[\"auto-a\"]}", "ipam.spidernet.io/ippool-ip-number", "" + size))
                        .addNewOwnerReference().withApiVersion("apps/v1").withKind("ReplicaSet")
                        .withName("burst-racers").withUid(rs.getMetadata().getUid()).withController(true)
                        .endOwnerReference().endMetadata().withNewSpec().addNewContainer().withName("app")
                        .withImage("nginx").endContainer().endSpec().build();
                done.add(threads.submit(() -> {
                    start.await();
                    sent[n] = System.nanoTime();
                    try {
                        admitted.add(racing.pods().inNamespace("auto").resource(pod).create());
                    } catch (KubernetesClientException e) {
                        refused.add(e);
                    } finally {
                        answered[n] = System.nanoTime();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(120, TimeUnit.SECONDS);
            }
            threads.shutdown();
        }
        long lastSent = java.util.Arrays.stream(sent).max().orElseThrow();
        long firstAnswer = java.util.Arrays.stream(answered).min().orElseThrow();
        assertTrue(lastSent < firstAnswer, "a race: every create was sent before the first answer came back ("
                + (lastSent - firstAnswer) / 1_000_000 + " ms apart)");

        // every create answered: the pool's addresses all handed out, the rest refused by the webhook naming the pool
        assertEquals(racers, admitted.size() + refused.size());
        List<SpiderIPPool> pools = poolsOf("Deployment", "burst");
        assertEquals(1, pools.size(), "one pool for the Deployment, however its first pods raced: " + pools.stream()
                .map(p -> p.getMetadata().getName()).toList());
        SpiderIPPool pool = pools.get(0);
        String name = pool.getMetadata().getName();
        assertTrue(name.matches("auto-burst-v4-eth0-[0-9a-f]{12}") && deployment.getMetadata().getUid()
                .replace("-", "").endsWith(name.substring(name.length() - 12)), name);
        assertEquals(size, IpRangeSet.parse(IpFamily.V4, pool.getSpec().ips).sizeSaturatedLong(),
                "sized by ippool-ip-number");
        for (KubernetesClientException e : refused) {
            assertEquals(403, e.getCode(), e.getMessage());
            assertTrue(e.getMessage().contains("denied the request") && e.getMessage().contains("SpiderIPPool " + name
                    + " is exhausted (" + size + " of " + size + " addresses allocated)"), e.getMessage());
        }
        assertEquals(racers - size, refused.size(), "refusals: " + refused.stream().map(Throwable::getMessage)
                .toList());
        List<String> ips = Pods.ipv4s(admitted);
        assertEquals(size, new HashSet<>(ips).size(), "no address twice: " + ips);
        assertTrue(ips.stream().allMatch(ip -> inside(pool, ip)), ips + " vs " + pool.getSpec().ips);
        AllocationLedger ledger = AllocationLedger.decode(IpFamily.V4, Pods.ledger(cluster.client(), name));
        assertEquals(size, ledger.size(), "the ledger holds exactly the admitted pods: " + ledger.encode());
        for (Pod p : admitted) {
            assertEquals(Pods.reservation(p).get("id").asText(), ledger.owner(IpAddress.parse(Pods.ipv4(p)))
                    .orElse(null), p.getMetadata().getName());
        }
        // both replicas answered some of the racing pods' reviews
        List<Double> reviewsAfter = podReviewsPerReplica();
        assertEquals(2, reviewsAfter.size());
        for (int i = 0; i < 2; i++) {
            assertTrue(reviewsAfter.get(i) - reviewsBefore.get(i) >= 1, "pod reviews per replica, before "
                    + reviewsBefore + ", after " + reviewsAfter);
        }
        // one creation, whichever replica made it: the losers re-read and used the winner's pool
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(1, cluster.client().v1().events()
                .inNamespace("auto").withField("involvedObject.name", "burst").list().getItems().stream()
                .filter(e -> "AutoPoolCreated".equals(e.getReason())).count()));

        cluster.kubectl("patch", "rs", "burst-racers", "-n", "auto", "--type=json", "-p",
                "[{\"op\":\"remove\",\"path\":\"/metadata/finalizers\"}]").ok();
        cluster.kubectl("delete", "deploy", "burst", "-n", "auto").ok();
        cluster.kubectl("delete", "pods", "-n", "auto", "-l", "app=burst", "--wait=false").ok();
    }

    /** How many pod reviews (CREATE or UPDATE, any outcome) each Spinneret replica has answered so far. */
    static List<Double> podReviewsPerReplica() {
        List<Double> out = new ArrayList<>();
        for (String port : cluster.service().get("SPINNERET_HTTP_PORTS").split(" ")) {
            out.add(BenchCluster.http("http://127.0.0.1:" + port + "/q/metrics").lines()
                    .filter(l -> l.startsWith("spinneret_admission_duration_seconds_count{")
                            && l.contains("webhook=\"mutate-pod\""))
                    .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum());
        }
        return out;
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
