package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.Finalizers;
import dev.spinneret.ledger.PoolBlocks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import org.jboss.logging.Logger;

/**
 * Lets a deleted pool go once nothing is allocated: Spinneret's finalizer is removed only when every block of its
 * ledger is empty (read fresh; allocation refuses a pool that is being deleted, so the ledger can only shrink by
 * then). A live pool's legacy finalizer is replaced in one write.
 */
@ApplicationScoped
public class PoolFinalizers {
    private static final Logger LOG = Logger.getLogger(PoolFinalizers.class);

    @Inject
    FinalizerWrites finalizers;
    @Inject
    PoolBlocks blocks;
    @Inject
    AdmissionGate gate;

    /**
     * The pool's finalizers as they should be: released once it is deleted and empty, migrated from the legacy name
     * while it lives. Returns true when the pool is being deleted (nothing else to maintain).
     */
    boolean settle(SpiderIPPool pool) {
        String name = pool.getMetadata().getName();
        List<String> have = pool.getMetadata().getFinalizers();
        if (pool.isMarkedForDeletion()) {
            if (Finalizers.held(have, SpiderApi.POOL_FINALIZER) && empty(pool)) {
                gate.forget("SpiderIPPool", name, pool.getMetadata().getUid()); // stored and going: no claim needed
                if (finalizers.set(SpiderIPPool.class, name, pool.getMetadata().getUid(), true, this::empty,
                        f -> Finalizers.released(f, SpiderApi.POOL_FINALIZER))) {
                    LOG.infof("SpiderIPPool %s is empty: finalizer removed, deletion proceeds", name);
                }
            }
            return true;
        }
        if (Finalizers.legacy(have) && finalizers.set(SpiderIPPool.class, name, pool.getMetadata().getUid(), false,
                fresh -> true, f -> Finalizers.migrated(f, SpiderApi.POOL_FINALIZER))) {
            LOG.infof("SpiderIPPool %s: legacy finalizer %s replaced by %s", name, SpiderApi.LEGACY_FINALIZER,
                    SpiderApi.POOL_FINALIZER);
        }
        return false;
    }

    /**
     * Whether nothing is allocated in the pool: every block empty (a fresh list; withdrawal marks are not
     * allocations), or for a pool not migrated to blocks, its inline ledger. A writer that allocates after this read
     * sees the deletion in its read of the pool after its write and takes the allocation back.
     */
    private boolean empty(SpiderIPPool pool) {
        if (PoolBlocks.migrated(pool)) {
            return blocks.readFresh(pool).all().stream().allMatch(b -> b.ledger().isEmpty());
        }
        String s = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        return s == null || s.isEmpty();
    }
}
