package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.PreviousReleaseLedger;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ledger.PoolBlocks;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The block ledger (issue #15) against the real API server with two replicas: a pool written by the previous
 * version (whole ledger inline in {@code status.allocatedIPs}) is migrated with no allocation lost while
 * reservations race the migration; pool shrinks racing reservations never leave an allocation outside the spec;
 * a pool deleted while reservations race never goes while a pod holds one of its addresses. Addresses 10.200-10.202.
 */
@Tag("api-server")
class BlockLedgerIT {
    static final String NS = "blocks-it";
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

    static Pod pod(String name, String pool) {
        return new PodBuilder().withNewMetadata().withName(name).withNamespace(NS)
                .withAnnotations(Map.of("ipam.spidernet.io/ippool", "{\"ipv4\":[\"" + pool + "\"]}")).endMetadata()
                .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec().build();
    }

    /** Creates the pod; returns it as admitted, or null when admission refused it (message in {@code errors}). */
    static Pod create(String name, String pool, List<String> errors) {
        try {
            // no retries: every create gets one answer, so a 5xx refusal is seen as one
            return cluster.admissionClient().pods().inNamespace(NS).resource(pod(name, pool)).create();
        } catch (KubernetesClientException e) {
            errors.add(e.getMessage());
            return null;
        }
    }

    static AllocationLedger ledger(String pool) {
        return AllocationLedger.decode(IpFamily.V4, Pods.ledger(cluster.client(), pool));
    }

    static IpAddress address(Pod p) {
        return IpAddress.parse(Pods.ipv4(p).replaceAll("/.*", ""));
    }

    static String id(Pod p) {
        return Pods.reservation(p).get("id").asText();
    }

    @Test
    void inlineLedgerOfThePreviousVersionIsMigratedWithNoAllocationLostWhileReservationsRace() throws Exception {
        cluster.kubectlApply(Yaml.pool("blk-mig", "10.200.0.0/16", "10.200.0.250-10.200.1.100")).ok();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<Pod> before = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            before.add(assertAdmitted(create("mig-old-" + i, "blk-mig", errors), errors));
        }
        AllocationLedger old = ledger("blk-mig");
        assertEquals(8, old.size());
        for (Pod p : before) {
            assertEquals(id(p), old.owner(address(p)).orElse(null));
        }
        // the pool as the previous version left it: whole ledger inline, no blocks (service stopped meanwhile)
        MultusIT.stopService();
        try {
            SpiderIPPool pool = cluster.client().resources(SpiderIPPool.class).withName("blk-mig").get();
            cluster.kubectl("delete", "sib", "-l", SpinneretIPBlock.POOL_UID_LABEL + "=" + pool.getMetadata().getUid())
                    .ok();
            cluster.kubectl("patch", "sp", "blk-mig", "--subresource=status", "--type=merge", "-p",
                    "{\"status\":{\"allocatedIPs\":\"" + old.encode() + "\"}}").ok();
            assertEquals(old.encode(), cluster.client().resources(SpiderIPPool.class).withName("blk-mig").get()
                    .getStatus().allocatedIPs);
            // what the previous version's strict decoder makes of the new forms: refused (so it fails, 503), while
            // it reads the inline ledger this test wrote as that version did
            assertTrue(PreviousReleaseLedger.accepts(IpFamily.V4, old.encode()), old.encode());
            for (String form : List.of(PoolBlocks.MARKER, PoolBlocks.MIGRATING + old.encode())) {
                assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, form), form);
            }
        } finally {
            MultusIT.restart(true);
        }
        // the new version: the first writers migrate, racing each other (two replicas, 12 pods at once)
        ExecutorService ex = Executors.newFixedThreadPool(6);
        List<Future<Pod>> after = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String name = "mig-new-" + i;
            after.add(ex.submit(() -> create(name, "blk-mig", errors)));
        }
        Set<IpAddress> seen = new HashSet<>();
        before.forEach(p -> seen.add(address(p)));
        for (Future<Pod> f : after) {
            Pod p = assertAdmitted(f.get(120, TimeUnit.SECONDS), errors);
            assertTrue(seen.add(address(p)), "address handed out twice: " + address(p));
        }
        ex.shutdown();
        SpiderIPPool pool = cluster.client().resources(SpiderIPPool.class).withName("blk-mig").get();
        assertEquals(PoolBlocks.MARKER, pool.getStatus().allocatedIPs);
        AllocationLedger now = ledger("blk-mig");
        assertEquals(20, now.size());
        for (Pod p : before) {
            assertEquals(id(p), now.owner(address(p)).orElse(null), "allocation of " + p.getMetadata().getName()
                    + " kept through the migration");
        }
        assertEquals(20, Pods.allocated(cluster.client(), "blk-mig"));
        // two blocks (10.200.0.0/24 and 10.200.1.0/24), found by the pool's name as the README says
        String sib = cluster.kubectl("get", "sib", "-l", SpinneretIPBlock.POOL_LABEL + "=blk-mig", "--no-headers")
                .ok().out();
        assertEquals(2, sib.strip().split("\n").length, sib);
    }

    private static Pod assertAdmitted(Pod p, List<String> errors) {
        assertNotNull(p, () -> "refused: " + errors);
        return p;
    }

    @Test
    void shrinksRacingReservationsNeverLeaveAnAllocationOutsideTheSpec() throws Exception {
        String full = "10.201.0.1-10.201.1.250";
        cluster.kubectlApply(Yaml.pool("blk-shrink", "10.201.0.0/16", full)).ok();
        AtomicBoolean stop = new AtomicBoolean();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<Pod> admitted = Collections.synchronizedList(new ArrayList<>());
        ExecutorService ex = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            int thread = t;
            ex.submit(() -> {
                for (int i = 0; i < 40 && !stop.get(); i++) {
                    Pod p = create("shr-" + thread + "-" + i, "blk-shrink", errors);
                    if (p != null) {
                        admitted.add(p);
                    }
                }
            });
        }
        int accepted = 0;
        int denied = 0;
        int deniedInARow = 0;
        for (int round = 0; round < 16 && !(round >= 8 && accepted >= 2); round++) {
            int k = ledger("blk-shrink").size();
            // just above what is allocated now: reservations in flight race for the addresses being removed. The
            // margin doubles after each refusal (2, 4, ... 64 addresses), so a machine that reserves faster than this
            // loop reads still sees shrinks accepted while reservations race, instead of only refusals
            int margin = 2 << Math.min(deniedInARow, 5);
            String tight = "10.201.0.1-" + IpAddress.parse("10.201.0.1").plus(k + margin);
            var r = cluster.kubectl("patch", "sp", "blk-shrink", "--type=merge", "-p",
                    "{\"spec\":{\"ips\":[\"" + tight + "\"]}}");
            if (r.code() == 0) {
                accepted++;
                deniedInARow = 0;
                Thread.sleep(800); // reservations keep coming while the pool is small
                IpRangeSet spec = IpRangeSet.parse(IpFamily.V4, List.of(tight));
                IpRangeSet outside = ledger("blk-shrink").allocated().minus(spec);
                assertTrue(outside.isEmpty(), "allocated outside spec.ips " + tight + ": " + outside);
            } else {
                denied++;
                deniedInARow++;
                assertTrue(r.err().contains("spec.ips") && r.err().contains("cannot remove"), r.err());
            }
            cluster.kubectl("patch", "sp", "blk-shrink", "--type=merge", "-p",
                    "{\"spec\":{\"ips\":[\"" + full + "\"]}}").ok();
            Thread.sleep(300);
        }
        stop.set(true);
        ex.shutdown();
        assertTrue(ex.awaitTermination(180, TimeUnit.SECONDS));
        assertTrue(accepted > 0, "no shrink was accepted (" + denied + " denied)");
        AllocationLedger end = ledger("blk-shrink");
        Set<IpAddress> distinct = new HashSet<>();
        for (Pod p : admitted) {
            assertTrue(distinct.add(address(p)), "address handed out twice: " + address(p));
            assertEquals(id(p), end.owner(address(p)).orElse(null), p.getMetadata().getName() + " lost its allocation");
        }
        assertEquals(admitted.size(), end.size(), "no allocation without a pod");
    }

    @Test
    void aPoolDeletedWhileReservationsRaceNeverGoesWhileAPodHoldsItsAddress() throws Exception {
        cluster.kubectlApply(Yaml.pool("blk-del", "10.202.0.0/16", "10.202.0.1-10.202.1.250")).ok();
        List<String> errors = Collections.synchronizedList(new ArrayList<>());
        List<Pod> admitted = Collections.synchronizedList(new ArrayList<>());
        ExecutorService ex = Executors.newFixedThreadPool(4);
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int thread = t;
            work.add(ex.submit(() -> {
                for (int i = 0; i < 15; i++) {
                    Pod p = create("del-" + thread + "-" + i, "blk-del", errors);
                    if (p != null) {
                        admitted.add(p);
                    }
                }
            }));
        }
        await().atMost(Duration.ofSeconds(60)).until(() -> admitted.size() >= 6);
        cluster.kubectl("delete", "sp", "blk-del", "--wait=false").ok();
        for (Future<?> f : work) {
            f.get(180, TimeUnit.SECONDS);
        }
        ex.shutdown();
        assertFalse(admitted.isEmpty());
        assertTrue(errors.stream().allMatch(e -> e.contains("blk-del")), errors.toString());
        // every admitted pod's address is still allocated, so the pool waits for them
        SpiderIPPool pool = cluster.client().resources(SpiderIPPool.class).withName("blk-del").get();
        assertNotNull(pool, "the pool went while " + admitted.size() + " pods hold its addresses");
        assertNotNull(pool.getMetadata().getDeletionTimestamp());
        AllocationLedger held = ledger("blk-del");
        for (Pod p : admitted) {
            assertEquals(id(p), held.owner(address(p)).orElse(null), p.getMetadata().getName() + " lost its address");
        }
        assertEquals(admitted.size(), held.size(), "no allocation without a pod");
        for (Pod p : admitted) {
            cluster.client().pods().inNamespace(NS).withName(p.getMetadata().getName()).withGracePeriod(0).delete();
        }
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1)).until(
                () -> cluster.client().resources(SpiderIPPool.class).withName("blk-del").get() == null);
    }
}
