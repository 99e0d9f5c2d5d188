package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two service instances against one (mock) API server, each with its own client, block informer and counts writer,
 * both seeing every block change whichever of them wrote it: only the one holding the lease writes the pool's status
 * counts — none while no one holds it (a failover), the holder after it gains it (checking every pool), and after a
 * handover only the new holder. The lease is played by the test, as {@code GarbageCollector} wires the real one:
 * gained → {@code follow(true)}, lost → {@code follow(false)}. Which instance wrote a count is told by its client's
 * User-Agent in the requests the API server received.
 */
@Tag("pure")
class LeaseHolderCountsTest {
    KubernetesMockServer server;
    Replica a;
    Replica b;

    /** One service instance: what decides and writes the counts, nothing shared with the other but the API server. */
    static final class Replica {
        final KubernetesClient client;
        final PoolBlocks blocks = new PoolBlocks();
        final PoolCounts counts;

        Replica(String name, KubernetesMockServer server) throws Exception {
            KubernetesClient base = server.createClient();
            client = new KubernetesClientBuilder().withConfig(new ConfigBuilder(base.getConfiguration())
                    .withUserAgent(name).build()).build();
            base.close();
            blocks.client = client;
            counts = PoolCountsTest.counts(client, blocks);
            counts.followBlocks(); // as the container does after construction
            blocks.start(); // the block informer: every replica sees every block change
        }

        /** A reservation written by this instance: {@code address=id} added to the pool's first block. */
        void allocate(String addressEqualsId) {
            SpiderIPPool p = client.resources(SpiderIPPool.class).withName("lh").get();
            Block blk = blocks.readFresh(p, AddressBlocks.blockOf(IpAddress.parse("10.9.0.0")));
            String[] kv = addressEqualsId.split("=");
            blocks.write(p, blk, blk.ledger().with(IpAddress.parse(kv[0]), kv[1]), List.of(), Map.of());
        }

        /** How many allocations this instance's view of the pool's blocks holds (what its informer has seen). */
        long seen() {
            SpiderIPPool p = client.resources(SpiderIPPool.class).withName("lh").get();
            return blocks.view(p).all().stream().mapToLong(x -> x.ledger().size()).sum();
        }

        void stop() {
            counts.stop();
            blocks.stop();
            client.close();
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        a = new Replica("replica-a", server);
        b = new Replica("replica-b", server);
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("lh").withGeneration(1L).build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().ipVersion = 4L;
        p.getSpec().subnet = "10.9.0.0/24";
        p.getSpec().ips = List.of("10.9.0.10-10.9.0.19");
        p.setStatus(new SpiderIPPoolStatus());
        p.getStatus().allocatedIPs = PoolBlocks.MARKER;
        a.client.resource(p).create();
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
        server.destroy();
    }

    Long allocatedCount() {
        return a.client.resources(SpiderIPPool.class).withName("lh").get().getStatus().allocatedIPCount;
    }

    /** The User-Agents of the pool status writes the API server received since the last call. */
    List<String> statusWriters() throws InterruptedException {
        List<String> out = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(10, TimeUnit.MILLISECONDS)) != null) {
            if (r.getPath().startsWith("/apis/spiderpool.spidernet.io/v2beta1/spiderippools/lh/status")
                    && !"GET".equals(r.getMethod())) {
                out.add(r.getHeader("User-Agent"));
            }
        }
        return out;
    }

    static void await(String what, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 15 s: " + what);
            }
            Thread.sleep(50);
        }
    }

    @Test
    void onlyTheInstanceHoldingTheLeaseWritesTheCounts() throws Exception {
        // no holder (a failover): both instances see both reservations, neither writes a count
        a.allocate("10.9.0.10=r1");
        b.allocate("10.9.0.11=r2");
        await("both instances saw both reservations", () -> a.seen() == 2 && b.seen() == 2);
        Thread.sleep(2_500); // more than the writer's one-second coalescing delay, twice
        assertEquals(List.of(), statusWriters(), "no count written while no instance holds the lease");
        assertNull(allocatedCount());

        // a gains the lease: it checks every pool and writes; b, seeing the same blocks, does not
        a.counts.follow(true);
        await("the holder wrote the counts", () -> Long.valueOf(2).equals(allocatedCount()));
        b.allocate("10.9.0.12=r3"); // a reservation served by the instance without the lease
        await("the holder counted b's reservation", () -> Long.valueOf(3).equals(allocatedCount()));
        Thread.sleep(1_500);
        List<String> writers = statusWriters();
        assertTrue(!writers.isEmpty() && writers.stream().allMatch("replica-a"::equals), writers.toString());

        // a hands the lease to b: from then on only b writes, also for a's reservations
        a.counts.follow(false);
        b.counts.follow(true);
        a.allocate("10.9.0.13=r4");
        await("the new holder counted a's reservation", () -> Long.valueOf(4).equals(allocatedCount()));
        Thread.sleep(1_500);
        writers = statusWriters();
        assertTrue(!writers.isEmpty() && writers.stream().allMatch("replica-b"::equals), writers.toString());
        assertEquals(4, a.seen(), "a saw every change and still wrote nothing after losing the lease");
        assertEquals(4L, (long) allocatedCount());
    }
}
