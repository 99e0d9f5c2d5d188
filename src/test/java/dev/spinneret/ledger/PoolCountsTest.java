package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.ReservedAddresses;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The pool counts against the fabric8 mock API server (no informers, nothing in the background): computed from the
 * pool's spec and blocks, written only when they differ, and only while this replica follows them (holds the lease).
 */
@Tag("pure")
class PoolCountsTest {
    KubernetesMockServer server;
    KubernetesClient client;
    PoolCounts counts;
    PoolBlocks blocks;

    @BeforeEach
    void start() throws Exception {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        blocks = new PoolBlocks();
        blocks.client = client;
        counts = counts(client, blocks);
        pool0();
    }

    @AfterEach
    void stop() {
        counts.stop();
        client.close();
        server.destroy();
    }

    /** A counts writer built by hand on {@code client} and {@code blocks}, its cache not started (reads go to the API server). */
    static PoolCounts counts(KubernetesClient client, PoolBlocks blocks) throws Exception {
        ClusterCache cache = new ClusterCache();
        inject(cache, "client", client);
        ReservedAddresses reserved = new ReservedAddresses();
        inject(reserved, "client", client);
        PoolCounts counts = new PoolCounts();
        counts.client = client;
        counts.cache = cache;
        counts.blocks = blocks;
        counts.reserved = reserved;
        counts.cursors = new AllocationCursors();
        counts.migration = new InlineLedgerMigration();
        counts.migration.client = client;
        counts.migration.blocks = blocks;
        return counts;
    }

    /** Sets a bean's injected field in another package (the test builds the beans by hand). */
    static void inject(Object bean, String field, Object value) throws Exception {
        Field f = bean.getClass().getDeclaredField(field);
        f.setAccessible(true);
        f.set(bean, value);
    }

    SpiderIPPool pool() {
        return client.resources(SpiderIPPool.class).withName("pc").get();
    }

    SpiderIPPoolStatus status() {
        return pool().getStatus();
    }

    /** Adds reservations to the pool's block of 10.9.0.0/24 (the view and the API server alike). */
    void allocate(String... addressEqualsId) {
        SpiderIPPool p = pool();
        IpAddress first = AddressBlocks.blockOf(IpAddress.parse("10.9.0.0"));
        Block b = blocks.readFresh(p, first);
        AllocationLedger l = b.ledger();
        for (String e : addressEqualsId) {
            String[] kv = e.split("=");
            l = l.with(IpAddress.parse(kv[0]), kv[1]);
        }
        blocks.write(p, b, l, List.of(), Map.of());
    }

    void pool0() {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("pc").withUid("pc-uid").withGeneration(1L).build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().ipVersion = 4L;
        p.getSpec().subnet = "10.9.0.0/24";
        p.getSpec().ips = List.of("10.9.0.10-10.9.0.19");
        p.getSpec().gateway = "10.9.0.1";
        p.setStatus(new SpiderIPPoolStatus());
        p.getStatus().allocatedIPs = PoolBlocks.MARKER;
        client.resource(p).create();
    }

    @Test
    void countsComeFromSpecAndBlocksAndAreWrittenOnlyWhenTheyDiffer() {
        allocate("10.9.0.10=r1", "10.9.0.11=r2");
        counts.write("pc");
        SpiderIPPoolStatus st = status();
        assertEquals(10L, st.totalIPCount);
        assertEquals(2L, st.allocatedIPCount);
        assertEquals(8L, st.freeIPCount);
        assertEquals("none", st.restrictedBy);
        String written = pool().getMetadata().getResourceVersion();
        counts.write("pc");
        assertEquals(written, pool().getMetadata().getResourceVersion(), "the same counts are not written again");
        allocate("10.9.0.12=r3");
        counts.write("pc");
        assertEquals(3L, status().allocatedIPCount);
        assertNotEquals(written, pool().getMetadata().getResourceVersion());
    }

    @Test
    void onlyAFollowingReplicaWritesAndGainingTheLeaseChecksEveryPool() throws Exception {
        allocate("10.9.0.10=r1");
        counts.due("pc"); // not following (no lease): nothing is scheduled
        Thread.sleep(1_500);
        assertEquals(null, status().allocatedIPCount);
        counts.follow(true); // the lease gained: every known pool is checked, about a second later
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (status().allocatedIPCount == null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals(1L, status().allocatedIPCount);
        counts.follow(false);
        allocate("10.9.0.11=r2");
        counts.due("pc");
        Thread.sleep(1_500);
        assertEquals(1L, status().allocatedIPCount, "the lease lost: counts are left to the next holder");
    }

    @Test
    void refreshMovesAnInlineLedgerIntoBlocksFirst() throws Exception {
        SpiderIPPool p = pool();
        p.getStatus().allocatedIPs = AllocationLedger.of(IpFamily.V4,
                Map.of(IpAddress.parse("10.9.0.15"), "old1")).encode();
        client.resource(p).updateStatus();
        counts.refresh("pc"); // not following: migrates, schedules nothing
        assertEquals(PoolBlocks.MARKER, status().allocatedIPs);
        assertEquals(1, blocks.readFresh(pool()).holding("old1").size());
    }
}
