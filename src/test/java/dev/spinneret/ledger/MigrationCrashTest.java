package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.PreviousReleaseLedger;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A replica killed in the middle of moving an earlier version's inline ledger into blocks ({@link
 * InlineLedgerMigration}): the process dies right after its k-th block write (k = 0: before the first; k = 4: every
 * block written, the marker not), and a new process — new beans, nothing shared but the API server — finishes the
 * migration: every allocation of the inline ledger is in exactly one block under its reservation, nothing else is, and
 * the pool carries the marker. Meanwhile the pool holds the migrating form, which earlier versions refuse (they cannot
 * allocate from a half-copied ledger). Against the fabric8 mock API server (CRUD), the crash point injected
 * deterministically by a {@link PoolBlocks} that stops after its k-th write.
 */
@Tag("pure")
class MigrationCrashTest {
    /** 13 allocations over four blocks (10.9.0.0/24 .. 10.9.3.0/24). */
    static final AllocationLedger INLINE = ledger();
    static final int BLOCKS = 4;

    KubernetesMockServer server;
    KubernetesClient client;

    /** The process dying at a chosen point: what the crashed run threw. */
    static final class Killed extends RuntimeException {
        Killed(String message) {
            super(message);
        }
    }

    /** The block store of a process killed after its {@code limit}-th block write (0: before the first write). */
    static final class DyingBlocks extends PoolBlocks {
        final int limit;
        int written;

        DyingBlocks(KubernetesClient client, int limit) {
            this.client = client;
            this.limit = limit;
        }

        @Override
        public Block write(SpiderIPPool pool, Block old, AllocationLedger ledger, List<SpinneretIPBlockWithdrawal> marks,
                Map<String, String> bind) {
            if (written == limit) {
                throw new Killed("killed before block write " + (written + 1));
            }
            Block b = super.write(pool, old, ledger, marks, bind);
            if (++written == limit) {
                throw new Killed("killed after block write " + written);
            }
            return b;
        }
    }

    static AllocationLedger ledger() {
        Map<IpAddress, String> m = new TreeMap<>();
        int n = 0;
        for (String a : List.of("10.9.0.10", "10.9.0.11", "10.9.0.200", "10.9.1.0", "10.9.1.1", "10.9.1.254",
                "10.9.2.5", "10.9.2.6", "10.9.2.7", "10.9.3.1", "10.9.3.2", "10.9.3.3", "10.9.3.250")) {
            m.put(IpAddress.parse(a), "old" + n++);
        }
        return AllocationLedger.of(IpFamily.V4, m);
    }

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        // the pool as the previous version left it: the whole ledger inline in status.allocatedIPs, no blocks
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("mig").build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().ipVersion = 4L;
        p.getSpec().subnet = "10.9.0.0/22";
        p.getSpec().ips = List.of("10.9.0.1-10.9.3.254");
        p.setStatus(new SpiderIPPoolStatus());
        p.getStatus().allocatedIPs = INLINE.encode();
        p.getStatus().allocatedIPCount = (long) INLINE.size();
        client.resource(p).create();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    SpiderIPPool pool() {
        return client.resources(SpiderIPPool.class).withName("mig").get();
    }

    List<SpinneretIPBlock> blocks() {
        // the mock API server gives the pool a UID of its own
        return client.resources(SpinneretIPBlock.class)
                .withLabel(SpinneretIPBlock.POOL_UID_LABEL, pool().getMetadata().getUid()).list().getItems();
    }

    /** One process's migration: its own beans, sharing nothing with another process but the API server. */
    InlineLedgerMigration process(PoolBlocks blocks) {
        InlineLedgerMigration m = new InlineLedgerMigration();
        m.client = client;
        m.blocks = blocks;
        return m;
    }

    @ParameterizedTest(name = "killed after block write {0} of 4")
    @ValueSource(ints = { 0, 1, 2, 3, 4 })
    void aMigrationKilledAfterAnyBlockWriteIsFinishedByTheNextProcessWithNothingLostOrDuplicated(int k) {
        Killed killed = assertThrows(Killed.class, () -> process(new DyingBlocks(client, k)).migrate("mig", pool()));
        assertTrue(killed.getMessage().contains(k == 0 ? "before block write 1" : "after block write " + k),
                killed.getMessage());
        // what the dead process left: k blocks, and the pool in the migrating form, which earlier versions refuse
        assertEquals(k, blocks().size(), "blocks written before the process died");
        String left = pool().getStatus().allocatedIPs;
        assertEquals(PoolBlocks.MIGRATING + INLINE.encode(), left);
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, left), "an earlier version cannot allocate meanwhile");

        PoolBlocks restarted = new PoolBlocks();
        restarted.client = client;
        SpiderIPPool done = process(restarted).migrate("mig", pool());

        assertEquals(PoolBlocks.MARKER, done.getStatus().allocatedIPs);
        assertEquals(PoolBlocks.MARKER, pool().getStatus().allocatedIPs);
        List<SpinneretIPBlock> stored = blocks();
        assertEquals(BLOCKS, stored.size(), "one block per /24 the ledger touches");
        List<AllocationLedger> parts = new ArrayList<>();
        Set<IpAddress> seen = new HashSet<>();
        for (SpinneretIPBlock b : stored) {
            AllocationLedger part = AllocationLedger.decode(IpFamily.V4, b.getSpec().allocatedIPs);
            assertEquals(part.size(), b.getSpec().allocatedIPCount, b.getMetadata().getName());
            for (var e : part.asMap().entrySet()) {
                assertTrue(seen.add(e.getKey()), "address in two blocks: " + e.getKey());
                assertEquals(INLINE.owner(e.getKey()).orElse(null), e.getValue(), "entry " + e.getKey()
                        + " not in the inline ledger (or under another reservation)");
            }
            parts.add(part);
        }
        assertEquals(INLINE.size(), seen.size(), "every allocation of the inline ledger, once");
        assertEquals(INLINE.encode(), dev.spinneret.ip.AddressBlocks.merge(IpFamily.V4, parts).encode());
    }
}
