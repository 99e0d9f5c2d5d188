package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.List;

/** Tests' view of a pool's whole ledger, read from the API server: its blocks merged, encoded as one string. */
public final class Ledgers {
    private Ledgers() {
    }

    /** The pool's ledger in the encoded form ("" when empty or when the pool does not exist). */
    public static String of(KubernetesClient c, String pool) {
        SpiderIPPool p = c.resources(SpiderIPPool.class).withName(pool).get();
        if (p == null) {
            return "";
        }
        if (!PoolBlocks.migrated(p)) {
            return p.getStatus() == null || p.getStatus().allocatedIPs == null ? "" : p.getStatus().allocatedIPs;
        }
        List<AllocationLedger> parts = new ArrayList<>();
        for (SpinneretIPBlock b : c.resources(SpinneretIPBlock.class)
                .withLabel(SpinneretIPBlock.POOL_UID_LABEL, p.getMetadata().getUid()).list().getItems()) {
            parts.add(AllocationLedger.decode(PoolSpec.family(p), b.getSpec().allocatedIPs));
        }
        return AddressBlocks.merge(PoolSpec.family(p), parts).encode();
    }

    /** The pool's bindings over all its blocks: reservation id → {@code namespace/pod name}. */
    public static java.util.Map<String, String> holders(KubernetesClient c, String pool) {
        SpiderIPPool p = c.resources(SpiderIPPool.class).withName(pool).get();
        java.util.Map<String, String> out = new java.util.TreeMap<>();
        if (p == null || !PoolBlocks.migrated(p)) {
            return out;
        }
        for (SpinneretIPBlock b : c.resources(SpinneretIPBlock.class)
                .withLabel(SpinneretIPBlock.POOL_UID_LABEL, p.getMetadata().getUid()).list().getItems()) {
            if (b.getSpec().holders != null) {
                out.putAll(b.getSpec().holders);
            }
        }
        return out;
    }

    /**
     * {@code status.allocatedIPCount} once it agrees with the blocks. The counts are written by the lease holder's
     * coalescing writer about a second behind the blocks, and after a restart only once the new process holds the lease
     * (up to the 15 s lease duration): this waits up to 45 s and fails, naming both figures, if they never agree.
     */
    public static long settledCount(KubernetesClient c, String pool) {
        long deadline = System.currentTimeMillis() + 45_000;
        while (true) {
            SpiderIPPool p = c.resources(SpiderIPPool.class).withName(pool).get();
            long count = p == null || p.getStatus() == null || p.getStatus().allocatedIPCount == null ? 0
                    : p.getStatus().allocatedIPCount;
            String ledger = of(c, pool);
            long entries = ledger.isEmpty() ? 0 : ledger.split(",").length;
            if (count == entries) {
                return count;
            }
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("SpiderIPPool " + pool + ": status.allocatedIPCount " + count
                        + " never agreed with the " + entries + " allocation(s) in its blocks within 45 s");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for the counts of SpiderIPPool " + pool, e);
            }
        }
    }
}
