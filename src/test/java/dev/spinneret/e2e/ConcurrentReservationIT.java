package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * 200 pods from 20 Deployments share one pool of exactly 200 addresses, created concurrently by
 * kube-controller-manager while two Spinneret instances serve the webhook (round-robin): all admitted, all
 * distinct, pool full; the 201st pod is denied with the exhausted message and an Event on its Deployment.
 */
@Tag("api-server")
class ConcurrentReservationIT {
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
    }

    @Test
    void twoHundredPodsTwoReplicasNoDuplicatesThenExhausted() throws Exception {
        cluster.kubectlApply(Yaml.pool("bulk", "10.50.0.0/16", "10.50.0.1-10.50.0.200")).ok();
        TestNamespace.createWithDefaultPool(cluster, "bulk", "bulk");
        ExecutorService pool = Executors.newFixedThreadPool(10);
        List<Future<RealCluster.Result>> applies = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String yaml = Yaml.deployment("bulk", "app-" + i, 10, null);
            applies.add(pool.submit(() -> cluster.kubectlApply(yaml)));
        }
        for (Future<RealCluster.Result> f : applies) {
            f.get().ok();
        }
        pool.shutdown();
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            List<Pod> pods = cluster.client().pods().inNamespace("bulk").list().getItems();
            assertEquals(200, pods.size(), "pods created so far");
        });
        List<Pod> pods = cluster.client().pods().inNamespace("bulk").list().getItems();
        List<String> ips = Pods.ipv4s(pods);
        assertEquals(200, new HashSet<>(ips).size(), "every pod has its own address");
        for (String ip : ips) {
            String[] o = ip.split("\\.");
            int n = Integer.parseInt(o[3]);
            assertTrue(ip.startsWith("10.50.0.") && n >= 1 && n <= 200, ip);
        }
        assertEquals(200, Pods.allocated(cluster.client(), "bulk"));
        assertEquals(200, Pods.ledger(cluster.client(), "bulk").split(",").length);
        String sp = cluster.kubectl("get", "sp", "bulk", "--no-headers").ok().out().trim().replaceAll("\\s+", " ");
        assertEquals("bulk 4 10.50.0.0/16 200 200 false false", sp);

        cluster.kubectlApply(Yaml.deployment("bulk", "one-too-many", 1, null)).ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Event> events = cluster.client().v1().events().inNamespace("bulk")
                    .withField("involvedObject.name", "one-too-many").list().getItems();
            assertTrue(events.stream().anyMatch(e -> "IPReservationFailed".equals(e.getReason())
                    && e.getMessage().contains("SpiderIPPool bulk is exhausted (200 of 200")), events.toString());
        });
        assertEquals(200, cluster.client().pods().inNamespace("bulk").list().getItems().size());
        // the denial as a user creating the pod by hand sees it
        var r = cluster.kubectl("run", "by-hand", "-n", "bulk", "--image=nginx");
        assertTrue(r.code() != 0 && r.err().contains("exhausted (200 of 200 addresses allocated)"), r.err());

        // what happened is visible in the service's Prometheus metrics (summed over both instances)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            StringBuilder all = new StringBuilder();
            for (String port : cluster.service().get("SPINNERET_HTTP_PORTS").split(" ")) {
                all.append(BenchCluster.http("http://127.0.0.1:" + port + "/q/metrics"));
            }
            // (not asserted: that each replica answered a share. The API server keeps one connection to the
            // webhook URL and the harness' TCP round-robin proxy balances connections, so one replica answered all
            // 200 reservations when measured on 2026-12-06: [0, 200]; integration-tests/CASES.md C01)
            String m = all.toString();
            for (String name : List.of("spinneret_admission_duration_seconds_bucket{outcome=\"allowed\",webhook=\"mutate-pod\"",
                    "spinneret_reservations_total{outcome=\"reserved\"}", "spinneret_ledger_writes_total{pool=\"bulk\"}",
                    "spinneret_denials_total{reason=\"Exhausted\"}", "spinneret_pool_total{pool=\"bulk\"} 200.0",
                    "spinneret_pool_allocated{pool=\"bulk\"} 200.0")) {
                assertTrue(m.contains(name), name + " missing from /q/metrics");
            }
        });
    }
}
