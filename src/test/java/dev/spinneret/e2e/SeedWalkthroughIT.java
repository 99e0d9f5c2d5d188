package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Tag;

/** The seed article's commands, typed into kubectl against a real API server with Spinneret's webhooks. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("api-server")
class SeedWalkthroughIT {
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
    }

    static String squash(String s) {
        return s.trim().replaceAll("[ \t]+", " ");
    }

    @Test
    @Order(1)
    void subnetAppliesAndKubectlGetSsPrintsTheSeedsColumns() {
        cluster.kubectlApply(Yaml.subnet("nginx-subnet-v4", "10.244.0.0/16", "10.244.100.0-10.244.200.1")).ok();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String out = cluster.kubectl("get", "ss").ok().out();
            List<String> lines = out.lines().toList();
            assertEquals("NAME VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT", squash(lines.get(0)));
            assertTrue(lines.stream().map(SeedWalkthroughIT::squash)
                    .anyMatch(l -> l.equals("nginx-subnet-v4 4 10.244.0.0/16 0 25602")), out);
        });
    }

    @Test
    @Order(2)
    void seedPoolAppliesAndKubectlGetSpPrintsTheSeedsColumns() {
        cluster.kubectlApply(Yaml.pool("nginx-v4-ippool", "10.244.0.0/16", "10.244.120.10-10.244.120.20")).ok();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String out = cluster.kubectl("get", "sp", "nginx-v4-ippool").ok().out();
            List<String> lines = out.lines().toList();
            assertEquals("NAME VERSION SUBNET ALLOCATED-IP-COUNT TOTAL-IP-COUNT DEFAULT DISABLE", squash(lines.get(0)));
            assertEquals("nginx-v4-ippool 4 10.244.0.0/16 0 11 false false", squash(lines.get(1)));
        });
        SpiderIPPool p = cluster.client().resources(SpiderIPPool.class).withName("nginx-v4-ippool").get();
        assertEquals(List.of("spiderpool.spidernet.io/ippool"), p.getMetadata().getFinalizers());
        assertEquals("nginx-subnet-v4", p.getMetadata().getLabels().get("ipam.spidernet.io/owner-spider-subnet"));
    }

    @Test
    @Order(3)
    void overlappingPoolFailsAndKubectlShowsTheWebhooksMessage() {
        var r = cluster.kubectlApply(Yaml.pool("second", "10.244.0.0/16", "10.244.120.15-10.244.120.25"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("spec.ips") && r.err().contains("SpiderIPPool nginx-v4-ippool"), r.err());
        var narrow = cluster.kubectlApply(Yaml.pool("narrow", "10.244.120.0/24", "10.244.120.100"));
        assertNotEquals(0, narrow.code());
        assertTrue(narrow.err().contains("overlaps"), narrow.err());
        assertEquals("", cluster.kubectl("get", "sp", "second", "narrow", "--ignore-not-found", "-o", "name").out()
                .trim(), "neither pool was created");
    }

    @Test
    @Order(4)
    void serverDryRunReachesTheWebhookAndCreatesNothing() {
        var bad = cluster.kubectlApply(Yaml.pool("dry", "10.244.1.0/16", "10.244.120.30"), "--dry-run=server");
        assertNotEquals(0, bad.code());
        assertTrue(bad.err().contains("use 10.244.0.0/16"), bad.err());
        cluster.kubectlApply(Yaml.pool("dry", "10.244.0.0/16", "10.244.120.30"), "--dry-run=server").ok();
        assertEquals("", cluster.kubectl("get", "sp", "dry", "--ignore-not-found", "-o", "name").out().trim());
    }

    @Test
    @Order(5)
    void deploymentPodsGetAddressesFromTheAnnotatedPool() {
        TestNamespace.create(cluster, "seed");
        cluster.kubectlApply(Yaml.deployment("seed", "nginx-m", 2, "{\"ipv4\":[\"nginx-v4-ippool\"]}")).ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Pod> pods = cluster.client().pods().inNamespace("seed").withLabel("app", "nginx-m").list().getItems();
            assertEquals(2, pods.size());
            List<String> ips = Pods.ipv4s(pods);
            assertEquals(2, new HashSet<>(ips).size(), ips.toString());
            for (String ip : ips) {
                int last = Integer.parseInt(ip.substring(ip.lastIndexOf('.') + 1));
                assertTrue(ip.startsWith("10.244.120.") && last >= 10 && last <= 20, ip);
            }
        });
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                "nginx-v4-ippool 4 10.244.0.0/16 2 11 false false",
                squash(cluster.kubectl("get", "sp", "nginx-v4-ippool", "--no-headers").ok().out())));
        // the subnet counts the addresses it handed to pools (manual pools of its CIDR included)
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                "nginx-subnet-v4 4 10.244.0.0/16 11 25602",
                squash(cluster.kubectl("get", "ss", "nginx-subnet-v4", "--no-headers").ok().out())));
    }

    @Test
    @Order(6)
    void deletingAPodGivesItsReplacementAnAddressAndReleasesTheOldOne() {
        List<Pod> pods = cluster.client().pods().inNamespace("seed").withLabel("app", "nginx-m").list().getItems();
        Pod victim = pods.get(0);
        String ip = Pods.ipv4(victim);
        cluster.kubectl("delete", "pod", "-n", "seed", victim.getMetadata().getName()).ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Pod> now = cluster.client().pods().inNamespace("seed").withLabel("app", "nginx-m").list().getItems();
            assertEquals(2, now.size());
            assertTrue(now.stream().noneMatch(p -> p.getMetadata().getName().equals(victim.getMetadata().getName())));
            assertEquals(2, Pods.allocated(cluster.client(), "nginx-v4-ippool"), "the old address went back");
            assertTrue(Pods.ipv4s(now).stream().allMatch(a -> a.startsWith("10.244.120.")));
        });
        assertTrue(ip.startsWith("10.244.120."));
    }

    static final String SEED_SUBNET = "ipam.spidernet.io/subnet: '{\"interface\":\"eth0\",\"ipv4\":[\"nginx-subnet-v4\"]}'";

    static SpiderIPPool autoPool(String app) {
        List<SpiderIPPool> pools = cluster.client().resources(SpiderIPPool.class)
                .withLabel("ipam.spidernet.io/owner-application-name", app).list().getItems();
        assertTrue(pools.size() <= 1, "one automatic pool per workload, found " + pools.size());
        return pools.isEmpty() ? null : pools.get(0);
    }

    static IpRangeSet ips(SpiderIPPool p) {
        return IpRangeSet.parse(IpFamily.V4, p.getSpec().ips);
    }

    static List<Pod> nginx() {
        return cluster.client().pods().inNamespace("seed").withLabel("app", "nginx").list().getItems();
    }

    static void assertInside(SpiderIPPool pool, List<Pod> pods) {
        for (Pod p : pods) {
            String ip = Pods.ipv4(p);
            assertTrue(ip != null && ips(pool).contains(IpAddress.parse(ip)), p.getMetadata().getName() + " has " + ip
                    + ", outside " + pool.getMetadata().getName() + " " + pool.getSpec().ips);
        }
    }

    @Test
    @Order(7)
    void autoPoolIsCarvedFromTheSubnetForTheSeedsNginxDeployment() {
        cluster.kubectlApply(Yaml.workload("Deployment", "seed", "nginx", 2, SEED_SUBNET,
                "ipam.spidernet.io/ippool-ip-number: '+3'")).ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertEquals(2, nginx().size());
            assertTrue(nginx().stream().allMatch(p -> Pods.ipv4(p) != null));
        });
        SpiderIPPool pool = autoPool("nginx");
        String uid = cluster.client().apps().deployments().inNamespace("seed").withName("nginx").get().getMetadata()
                .getUid();
        String name = pool.getMetadata().getName();
        assertEquals("auto-nginx-v4-eth0-" + uid.substring(uid.lastIndexOf('-') + 1), name);
        assertTrue(name.matches("auto-nginx-v4-eth0-[0-9a-f]{12}"), name);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                name + " 4 10.244.0.0/16 2 5 false false",
                squash(cluster.kubectl("get", "sp", name, "--no-headers").ok().out())));
        assertInside(pool, nginx());
        assertEquals("nginx-subnet-v4", pool.getMetadata().getLabels().get("ipam.spidernet.io/owner-spider-subnet"));
        assertEquals("Deployment", pool.getMetadata().getLabels().get("ipam.spidernet.io/owner-application-kind"));
        assertEquals("+3", pool.getMetadata().getAnnotations().get("ipam.spidernet.io/ippool-ip-number"));
        // the subnet counts what it handed to pools: the manual pool's 11 and the automatic pool's 5
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertEquals(
                "nginx-subnet-v4 4 10.244.0.0/16 16 25602",
                squash(cluster.kubectl("get", "ss", "nginx-subnet-v4", "--no-headers").ok().out())));
        String controlled = cluster.client().resources(SpiderSubnet.class)
                .withName("nginx-subnet-v4").get().getStatus().controlledIPPools;
        assertTrue(controlled.contains("apps_v1_Deployment_seed_nginx"), controlled);

        // a deleted pod's replacement gets an address from the same pool
        Pod victim = nginx().get(0);
        cluster.kubectl("delete", "pod", "-n", "seed", victim.getMetadata().getName()).ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            List<Pod> now = nginx();
            assertEquals(2, now.size());
            assertTrue(now.stream().noneMatch(p -> p.getMetadata().getName().equals(victim.getMetadata().getName())));
            assertTrue(now.stream().allMatch(p -> Pods.ipv4(p) != null));
            assertEquals(2, Pods.allocated(cluster.client(), name));
        });
        assertInside(autoPool("nginx"), nginx());
    }

    @Test
    @Order(8)
    void autoPoolGrowsAndShrinksWithReplicas() {
        String name = autoPool("nginx").getMetadata().getName();
        cluster.kubectl("scale", "deploy", "nginx", "-n", "seed", "--replicas", "3").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertEquals(3, nginx().size());
            assertTrue(nginx().stream().allMatch(p -> Pods.ipv4(p) != null));
            assertEquals(name + " 4 10.244.0.0/16 3 6 false false",
                    squash(cluster.kubectl("get", "sp", name, "--no-headers").ok().out()));
        });
        assertInside(autoPool("nginx"), nginx());

        cluster.kubectl("scale", "deploy", "nginx", "-n", "seed", "--replicas", "1").ok();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
            assertEquals(1, nginx().size());
            assertEquals(name + " 4 10.244.0.0/16 1 4 false false",
                    squash(cluster.kubectl("get", "sp", name, "--no-headers").ok().out()));
        });
        assertInside(autoPool("nginx"), nginx()); // the address in use was kept
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            String events = cluster.kubectl("get", "events", "-n", "seed", "--field-selector",
                    "involvedObject.kind=Deployment,involvedObject.name=nginx", "-o",
                    "custom-columns=REASON:.reason,MESSAGE:.message").ok().out();
            assertTrue(events.contains("AutoPoolCreated") && events.contains("grew to 6")
                    && events.contains("shrank to 4"), events);
        });
    }

    @Test
    @Order(9)
    void deletingTheDeploymentReclaimsItsPool() {
        cluster.kubectl("delete", "deploy", "nginx", "-n", "seed").ok();
        await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
            assertEquals(null, autoPool("nginx"));
            assertEquals("nginx-subnet-v4 4 10.244.0.0/16 11 25602",
                    squash(cluster.kubectl("get", "ss", "nginx-subnet-v4", "--no-headers").ok().out()));
        });
    }
}
