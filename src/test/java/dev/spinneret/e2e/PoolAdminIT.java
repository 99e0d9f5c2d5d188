package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * What a pool admin does by hand (issue #16), typed into kubectl against the real API server with two Spinneret
 * replicas: delete and re-apply, apply without warnings, upgrade from the legacy finalizer, {@code get sp -o wide},
 * {@code get se}, and finding who holds an address with the README's commands.
 */
@Tag("api-server")
class PoolAdminIT {
    static final String NS = "pool-admin";
    static final String LEGACY = "spiderpool.spidernet.io";
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

    static String squash(String s) {
        return s.trim().replaceAll("[ \t]+", " ");
    }

    static String pod(String name, String pool) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: %s
                  annotations:
                    ipam.spidernet.io/ippool: '{"ipv4":["%s"]}'
                spec:
                  containers:
                  - name: c
                    image: nginx
                """.formatted(name, NS, pool);
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static SpiderIPPool poolObject(String name, String cidr, String ips) {
        return cluster.client().getKubernetesSerialization().unmarshal(Yaml.pool(name, cidr, ips), SpiderIPPool.class);
    }

    static void assertNoWarning(RealCluster.Result r) {
        r.ok();
        assertFalse(r.err().contains("Warning"), "kubectl printed a warning:\n" + r.err());
    }

    static boolean gone(String kind, String name) {
        return cluster.kubectl("get", kind, name, "--ignore-not-found", "-o", "name").ok().out().isBlank();
    }

    // ---- 1. delete and re-apply ----

    @Test
    void aDeletedPoolCanBeAppliedAgainAtOnceEvenAfterItWasUsed() {
        String pool = Yaml.pool("pa-chaos", "10.160.0.0/16", "10.160.1.0-10.160.2.43");
        String other = Yaml.pool("pa-chaos-2", "10.160.0.0/16", "10.160.1.0-10.160.2.43");
        cluster.kubectlApply(pool).ok();
        cluster.kubectlApply(pod("pa-user", "pa-chaos")).ok();
        cluster.kubectl("delete", "pod", "pa-user", "-n", NS).ok();
        // kubectl delete waits until the pool is gone (its finalizer goes once the pod's address is released)
        cluster.kubectl("delete", "sp", "pa-chaos", "--timeout=60s").ok();
        cluster.kubectlApply(pool).ok(); // the same pool again
        cluster.kubectl("delete", "sp", "pa-chaos", "--timeout=60s").ok();
        cluster.kubectlApply(other).ok(); // the case: another name over the same addresses, at once
        cluster.kubectl("delete", "sp", "pa-chaos-2", "--timeout=60s").ok();
        // created and deleted within a second, then an overlapping pool: no claim is left in the way
        cluster.kubectlApply(pool).ok();
        cluster.kubectl("delete", "sp", "pa-chaos", "--timeout=60s").ok();
        cluster.kubectlApply(other).ok();
        cluster.kubectl("delete", "sp", "pa-chaos-2", "--timeout=60s").ok();
    }

    @Test
    void concurrentOverlappingCreatesOnTwoReplicasAdmitExactlyOne() throws Exception {
        int n = 8;
        ExecutorService threads = Executors.newFixedThreadPool(n);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<String>> results = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                String name = "pa-race-" + i;
                // every pool shares 10.161.0.50 with every other one
                String ips = "10.161.0." + (10 + i) + "-10.161.0." + (90 + i);
                Callable<String> create = () -> {
                    start.await();
                    try {
                        cluster.client().resource(poolObject(name, "10.161.0.0/24", ips)).create();
                        return "created " + name;
                    } catch (KubernetesClientException e) {
                        return "refused " + name + ": " + e.getMessage();
                    }
                };
                results.add(threads.submit(create));
            }
            start.countDown();
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : results) {
                outcomes.add(f.get());
            }
            List<String> created = outcomes.stream().filter(o -> o.startsWith("created")).toList();
            assertEquals(1, created.size(), String.join("\n", outcomes));
            String winner = created.get(0).substring("created ".length());
            for (String o : outcomes) {
                if (o.startsWith("refused")) {
                    // refused naming the winner, stored or still a claim ("admitted ...s ago, not yet stored")
                    assertTrue(o.contains("overlap SpiderIPPool " + winner), o);
                }
            }
            // and once the winner is deleted, a loser goes in at once
            cluster.kubectl("delete", "sp", winner, "--timeout=60s").ok();
            String loser = winner.equals("pa-race-0") ? "pa-race-1" : "pa-race-0";
            int k = loser.charAt(loser.length() - 1) - '0';
            cluster.client().resource(poolObject(loser, "10.161.0.0/24", "10.161.0." + (10 + k) + "-10.161.0."
                    + (90 + k))).create();
            cluster.kubectl("delete", "sp", loser, "--timeout=60s").ok();
        } finally {
            threads.shutdownNow();
        }
    }

    // ---- 2. no warnings, legacy finalizer ----

    @Test
    void applyingPoolsAndSubnetsPrintsNoWarning() {
        String subnet = Yaml.subnet("pa-subnet", "10.162.0.0/16", "10.162.0.1-10.162.0.200");
        String pool = Yaml.pool("pa-quiet", "10.162.0.0/16", "10.162.0.10-10.162.0.20");
        assertNoWarning(cluster.kubectlApply(subnet));
        assertNoWarning(cluster.kubectlApply(pool));
        assertNoWarning(cluster.kubectlApply(subnet)); // unchanged
        assertNoWarning(cluster.kubectlApply(pool.replace("10.162.0.20", "10.162.0.25"))); // changed
        assertNoWarning(createDryRun(Yaml.pool("pa-quiet-dry", "10.162.0.0/16", "10.162.0.30")));
        assertEquals(List.of("spiderpool.spidernet.io/ippool"),
                cluster.client().resources(SpiderIPPool.class).withName("pa-quiet").get().getMetadata().getFinalizers());
        assertEquals(List.of("spiderpool.spidernet.io/subnet"),
                cluster.client().resources(SpiderSubnet.class).withName("pa-subnet").get().getMetadata().getFinalizers());
        // a manifest exported from Spiderpool names the bare finalizer itself: replaced before it is stored
        String exported = Yaml.pool("pa-exported", "10.162.0.0/16", "10.162.0.40")
                .replace("  name: pa-exported\n", "  name: pa-exported\n  finalizers:\n  - " + LEGACY + "\n");
        assertTrue(exported.contains("finalizers"), exported);
        assertNoWarning(cluster.kubectlApply(exported));
        assertEquals(List.of("spiderpool.spidernet.io/ippool"), cluster.client().resources(SpiderIPPool.class)
                .withName("pa-exported").get().getMetadata().getFinalizers());
        assertNoWarning(cluster.kubectl("delete", "sp", "pa-exported", "--timeout=60s"));
        assertNoWarning(cluster.kubectl("delete", "sp", "pa-quiet", "--timeout=60s"));
        assertNoWarning(cluster.kubectl("delete", "ss", "pa-subnet", "--timeout=90s"));
    }

    static RealCluster.Result createDryRun(String yaml) {
        return RealCluster.exec(List.of(cluster.env.get("KUBECTL"), "create", "--dry-run=server", "-o", "name",
                "-f", "-"), yaml, Map.of("KUBECONFIG", cluster.env.get("KUBECONFIG")), 60);
    }

    /**
     * Pools and subnets written by the previous version carry the bare {@code spiderpool.spidernet.io} finalizer.
     * The pool webhook would replace it at once, so it is switched off while the old state is written.
     */
    @Test
    void upgradeFromTheLegacyFinalizerNeverLetsAPoolWithAllocationsGo() throws Exception {
        cluster.kubectlApply(Yaml.subnet("pa-old-subnet", "10.163.0.0/16", "10.163.0.1-10.163.0.200")).ok();
        cluster.kubectlApply(Yaml.pool("pa-old", "10.163.0.0/16", "10.163.0.10-10.163.0.20")).ok();
        cluster.kubectlApply(Yaml.pool("pa-old-going", "10.163.0.0/16", "10.163.0.30-10.163.0.40")).ok();
        cluster.kubectlApply(pod("pa-old-a", "pa-old")).ok();
        cluster.kubectlApply(pod("pa-old-b", "pa-old-going")).ok();
        withoutPoolAndSubnetMutation(() -> {
            legacy("sp", "pa-old"); // retries until the webhook change has taken effect
            legacy("ss", "pa-old-subnet");
            // as the previous version wrote the status: no freeIPCount
            cluster.kubectl("patch", "sp", "pa-old", "--subresource=status", "--type=json",
                    "-p", "[{\"op\":\"remove\",\"path\":\"/status/freeIPCount\"}]").ok();
            // deleted right after getting the legacy finalizer (before a sweep migrates it): once deletion has begun
            // no finalizer can be added, so the legacy one must hold it on its own. The delete carries the edit's
            // resourceVersion as precondition: had a sweep migrated the pool in between, it is refused and redone
            var going = cluster.client().resources(SpiderIPPool.class).withName("pa-old-going");
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                SpiderIPPool edited = going.edit(p -> {
                    p.getMetadata().setFinalizers(List.of(LEGACY));
                    return p;
                });
                try {
                    going.lockResourceVersion(edited.getMetadata().getResourceVersion()).delete();
                    return true;
                } catch (KubernetesClientException e) {
                    if (e.getCode() != 409) {
                        throw e;
                    }
                    return false;
                }
            });
        });
        // the leader migrates live objects (GC sweep) and fills in the new status field
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertEquals(List.of("spiderpool.spidernet.io/ippool"), cluster.client().resources(SpiderIPPool.class)
                    .withName("pa-old").get().getMetadata().getFinalizers());
            assertEquals(List.of("spiderpool.spidernet.io/subnet"), cluster.client().resources(SpiderSubnet.class)
                    .withName("pa-old-subnet").get().getMetadata().getFinalizers());
            assertEquals(10L, cluster.client().resources(SpiderIPPool.class).withName("pa-old").get().getStatus()
                    .freeIPCount);
        });
        // the deleting pool still holds an address: it stays, with its legacy finalizer, well past a sweep
        Thread.sleep(12_000);
        SpiderIPPool going = cluster.client().resources(SpiderIPPool.class).withName("pa-old-going").get();
        assertTrue(going != null && going.isMarkedForDeletion(), "a pool with an allocation was deleted");
        assertEquals(List.of(LEGACY), going.getMetadata().getFinalizers(), "the legacy finalizer alone holds it");
        cluster.kubectl("delete", "pod", "pa-old-b", "-n", NS).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> gone("sp", "pa-old-going"));
        // the migrated pool is held the same way
        cluster.kubectl("delete", "sp", "pa-old", "--wait=false").ok();
        Thread.sleep(8_000);
        assertFalse(gone("sp", "pa-old"), "a pool with an allocation was deleted");
        cluster.kubectl("delete", "pod", "pa-old-a", "-n", NS).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> gone("sp", "pa-old"));
        cluster.kubectl("delete", "ss", "pa-old-subnet", "--timeout=90s").ok();
    }

    /** Writes the bare finalizer as the previous version did (retrying until the webhook change has taken effect). */
    static void legacy(String kind, String name) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).untilAsserted(() -> {
            cluster.kubectl("patch", kind, name, "--type=json", "-p",
                    "[{\"op\":\"replace\",\"path\":\"/metadata/finalizers\",\"value\":[\"" + LEGACY + "\"]}]").ok();
            String f = cluster.kubectl("get", kind, name, "-o", "jsonpath={.metadata.finalizers}").ok().out();
            assertEquals("[\"" + LEGACY + "\"]", f);
        });
    }

    interface Step {
        void run() throws Exception;
    }

    /** Runs {@code step} with the pool and subnet mutating webhooks unregistered, and registers them again. */
    static void withoutPoolAndSubnetMutation(Step step) throws Exception {
        String config = cluster.kubectl("get", "mutatingwebhookconfiguration", "-l", "app.kubernetes.io/name=spinneret",
                "-o", "name").ok().out().trim();
        String names = cluster.kubectl("get", config, "-o", "jsonpath={.webhooks[*].name}").ok().out();
        List<String> hooks = List.of(names.trim().split(" "));
        List<String> ops = new ArrayList<>();
        for (int i = hooks.size() - 1; i >= 0; i--) { // highest index first, so the others keep theirs
            if (hooks.get(i).startsWith("mutate-spiderippool.") || hooks.get(i).startsWith("mutate-spidersubnet.")) {
                ops.add("{\"op\":\"remove\",\"path\":\"/webhooks/" + i + "\"}");
            }
        }
        assertEquals(2, ops.size(), names);
        cluster.kubectl("patch", config, "--type=json", "-p", "[" + String.join(",", ops) + "]").ok();
        try {
            step.run();
        } finally {
            Path file = RealCluster.DIR.resolve("spinneret/webhooks.yaml");
            cluster.kubectl("apply", "-f", file.toString()).ok();
            // mutation is back once a dry run gets the finalizer
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(300)).until(() ->
                    createDryRunJson(Yaml.pool("pa-probe", "10.163.0.0/16", "10.163.0.150"))
                            .contains("spiderpool.spidernet.io/ippool"));
        }
    }

    static String createDryRunJson(String yaml) {
        return RealCluster.exec(List.of(cluster.env.get("KUBECTL"), "create", "--dry-run=server", "-o", "json",
                "-f", "-"), yaml, Map.of("KUBECONFIG", cluster.env.get("KUBECONFIG")), 60).out();
    }

    // ---- 3. get sp -o wide, get se, who holds an address ----

    @Test
    void getSpWideAddsFreeAndRestrictionsAfterTheSeedsColumns() {
        cluster.kubectlApply("""
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderReservedIP
                metadata:
                  name: pa-wide-reserved
                spec:
                  ips:
                  - 10.164.0.5
                """).ok();
        cluster.kubectlApply("""
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderIPPool
                metadata:
                  name: pa-wide
                spec:
                  subnet: 10.164.0.0/24
                  ips:
                  - 10.164.0.1-10.164.0.10
                  namespaceName: [%s]
                """.formatted(NS)).ok();
        sleep(2_000); // the replicas' SpiderReservedIP informers see it before the pods' ledger writes
        cluster.kubectlApply(Yaml.pool("pa-open", "10.165.0.0/24", "10.165.0.1-10.165.0.4")).ok();
        cluster.kubectlApply(pod("pa-wide-a", "pa-wide")).ok();
        cluster.kubectlApply(pod("pa-wide-b", "pa-wide")).ok();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            List<String> plain = cluster.kubectl("get", "sp", "pa-wide", "pa-open").ok().out().lines().toList();
            assertEquals("NAME VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT DEFAULT DISABLE", squash(plain.get(0)));
            assertEquals("pa-wide 4 10.164.0.0/24 2 10 false false", squash(plain.get(1)));
            List<String> wide = cluster.kubectl("get", "sp", "pa-wide", "pa-open", "-o", "wide").ok().out().lines()
                    .toList();
            assertEquals("NAME VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT DEFAULT DISABLE FREE-IP-COUNT"
                    + " RESTRICTED-BY", squash(wide.get(0)));
            // 10 usable, 10.164.0.5 reserved, 2 allocated
            assertEquals("pa-wide 4 10.164.0.0/24 2 10 false false 7 namespace", squash(wide.get(1)));
            assertEquals("pa-open 4 10.165.0.0/24 0 4 false false 4 none", squash(wide.get(2)));
        });
        // a spec change is reflected without any pod admission
        cluster.kubectl("delete", "sr", "pa-wide-reserved").ok();
        cluster.kubectl("patch", "sp", "pa-open", "--type=merge", "-p",
                "{\"spec\":{\"nodeName\":[\"worker-1\"],\"podAffinity\":{\"matchLabels\":{\"app\":\"db\"}}}}").ok();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                "pa-open 4 10.165.0.0/24 0 4 false false 4 node,pod",
                squash(cluster.kubectl("get", "sp", "pa-open", "-o", "wide", "--no-headers").ok().out())));
    }

    @Test
    void whoHoldsAnAddressStartedOrNotWithTheReadmesCommands() throws Exception {
        cluster.kubectlApply(Yaml.pool("pa-who", "10.166.0.0/24", "10.166.0.10-10.166.0.20")).ok();
        cluster.kubectlApply(Yaml.statefulSet(NS, "pa-db", 2, "{\"ipv4\":[\"pa-who\"]}")).ok();
        cluster.kubectlApply(pod("pa-who-bare", "pa-who")).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.client().pods().inNamespace(NS)
                .withLabel("app", "pa-db").list().getItems().size() == 2);
        Pod bare = cluster.client().pods().inNamespace(NS).withName("pa-who-bare").get();
        Pod db1 = cluster.client().pods().inNamespace(NS).withName("pa-db-1").get();
        String bareIp = Pods.ipv4(bare);
        String dbIp = Pods.ipv4(db1);

        // a pod not started yet: its reservation is in its annotation from admission on
        String podsCmd = readmeCommand("$ kubectl get pods -A -o custom-columns=");
        String found = run(podsCmd, bareIp);
        assertEquals(1, found.lines().count(), found);
        assertTrue(squash(found).startsWith(NS + " pa-who-bare <none> "), found);
        // 10.166.0.1 is a prefix of every address the pool hands out, and held by nobody
        assertEquals("", run(podsCmd, "10.166.0.1"), "no match on a prefix");

        // a started pod: the CNI plugin confirms on its SpiderEndpoint (status.current: uid, node, containerID,
        // reservationID, ips[]); here the StatefulSet's endpoint, written at admission, gets the plugin's node
        // (SpiderEndpoint has no status subresource, as in Spiderpool: status is patched with the object)
        cluster.kubectl("patch", "se", "pa-db-1", "-n", NS, "--type=merge", "-p",
                "{\"status\":{\"current\":{\"node\":\"worker-1\",\"containerID\":\"c0ffee\",\"uid\":\""
                        + db1.getMetadata().getUid() + "\"}}}").ok();
        List<String> se = cluster.kubectl("get", "se", "-n", NS).ok().out().lines().toList();
        assertEquals("NAME INTERFACE IPV4POOL IPV4 IPV6POOL IPV6 NODE", squash(se.get(0)));
        // (the API server prints empty CRD columns as blanks)
        assertTrue(se.stream().map(PoolAdminIT::squash).anyMatch(l -> l.equals("pa-db-1 eth0 pa-who " + dbIp
                + "/24 worker-1")), String.join("\n", se));
        String seCmd = readmeCommand("$ kubectl get se -A");
        String byEndpoint = run(seCmd, dbIp);
        assertEquals(NS + " pa-db-1 eth0 pa-who " + dbIp + "/24 worker-1", squash(byEndpoint));
        assertTrue(squash(run(podsCmd, dbIp)).startsWith(NS + " pa-db-1 "), "the pod command finds it too");
    }

    /** The first command line of README.md starting with {@code prefix}, without its "$ ". */
    static String readmeCommand(String prefix) throws Exception {
        return Files.readAllLines(RealCluster.ROOT.resolve("README.md")).stream().map(String::strip)
                .filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("README.md has no line starting with " + prefix)).substring(2);
    }

    /** Runs a README command with its example address replaced by {@code ip}; returns its output. */
    static String run(String command, String ip) {
        String cmd = command.replace("10.244.120.11", ip);
        assertNotEquals(command, cmd, "the README command names no example address: " + command);
        Path bin = Path.of(cluster.env.get("KUBECTL")).getParent();
        var r = RealCluster.exec(List.of("bash", "-o", "pipefail", "-c", cmd), null, Map.of("KUBECONFIG",
                cluster.env.get("KUBECONFIG"), "PATH", bin + ":" + System.getenv("PATH")), 60);
        if (r.code() != 0 && r.code() != 1) { // grep exits 1 when nothing matches
            throw new AssertionError(cmd + ": exit " + r.code() + "\n" + r.err());
        }
        return r.out();
    }
}
