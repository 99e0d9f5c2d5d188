package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpFamily;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** StatefulSet ordinals keep their addresses across pod re-creation; scale-down releases; scale-up allocates. */
@Tag("api-server")
class StatefulSetIT {
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
    }

    Map<String, String> ips() {
        Map<String, String> m = new HashMap<>();
        for (Pod p : cluster.client().pods().inNamespace("sts").withLabel("app", "db").list().getItems()) {
            m.put(p.getMetadata().getName(), Pods.ipv4(p));
        }
        return m;
    }

    /** The addresses allocated in the pool's ledger (decoded, not matched as text). */
    static java.util.Set<String> addresses(String pool) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        AllocationLedger.decode(IpFamily.V4, Pods.ledger(cluster.client(), pool)).forEach((a, id) -> out.add(a.toString()));
        return out;
    }

    @Test
    void ordinalsKeepTheirAddresses() {
        TestNamespace.createWithPool(cluster, "sts", "sts-pool", "10.60.0.0/16", "10.60.0.1-10.60.0.10");
        cluster.kubectlApply(Yaml.statefulSet("sts", "db", 3, "{\"ipv4\":[\"sts-pool\"]}")).ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> ips().size() == 3);
        Map<String, String> before = ips();
        assertEquals(3, new java.util.HashSet<>(before.values()).size(), before.toString());
        SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace("sts").withName("db-1").get();
        assertNotNull(se, "a StatefulSet pod's addresses are recorded in its SpiderEndpoint");
        assertEquals("StatefulSet", se.getStatus().ownerControllerType);
        assertEquals("db", se.getStatus().ownerControllerName);

        String uid = cluster.client().pods().inNamespace("sts").withName("db-1").get().getMetadata().getUid();
        cluster.kubectl("delete", "pod", "-n", "sts", "db-1").ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Pod p = cluster.client().pods().inNamespace("sts").withName("db-1").get();
            return p != null && !p.getMetadata().getUid().equals(uid);
        });
        assertEquals(before.get("db-1"), ips().get("db-1"), "the new db-1 has the same address");
        assertEquals(3, Pods.allocated(cluster.client(), "sts-pool"));

        cluster.kubectl("scale", "statefulset", "db", "-n", "sts", "--replicas=1").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertEquals(1, ips().size());
            assertEquals(1, Pods.allocated(cluster.client(), "sts-pool"), "ordinals 1 and 2 released");
            assertNull(cluster.client().resources(SpiderEndpoint.class).inNamespace("sts").withName("db-2").get());
        });
        assertEquals(java.util.Set.of(before.get("db-0")), addresses("sts-pool"), "only db-0's address is left");

        cluster.kubectl("scale", "statefulset", "db", "-n", "sts", "--replicas=3").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            Map<String, String> now = ips();
            assertEquals(3, now.size());
            assertTrue(now.values().stream().allMatch(a -> a != null && a.startsWith("10.60.0.")), now.toString());
            assertEquals(3, Pods.allocated(cluster.client(), "sts-pool"));
        });
        assertEquals(before.get("db-0"), ips().get("db-0"), "ordinal 0 never moved");

        // the pool annotation changes: the rolling update recreates db-2 first; it leaves sts-pool for sts-pool-2
        cluster.kubectlApply(Yaml.pool("sts-pool-2", "10.61.0.0/16", "10.61.0.1-10.61.0.10")).ok();
        String old2 = ips().get("db-2");
        assertTrue(addresses("sts-pool").contains(old2), old2 + " is in the ledger before the move");
        cluster.kubectlApply(Yaml.statefulSet("sts", "db", 3, "{\"ipv4\":[\"sts-pool-2\"]}")).ok();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            String now = ips().get("db-2");
            assertTrue(now != null && now.startsWith("10.61.0."), "db-2 now has " + now);
            assertFalse(addresses("sts-pool").contains(old2), "the old address was released");
            assertTrue(addresses("sts-pool-2").contains(now), "the new address is in the new pool's ledger");
            assertEquals(2, Pods.allocated(cluster.client(), "sts-pool"), "db-0 and db-1 keep theirs");
            assertEquals(1, Pods.allocated(cluster.client(), "sts-pool-2"));
        });
        SpiderEndpoint moved = cluster.client().resources(SpiderEndpoint.class).inNamespace("sts").withName("db-2").get();
        assertEquals("sts-pool-2", moved.getStatus().current.ips.get(0).ipv4Pool);
    }
}
