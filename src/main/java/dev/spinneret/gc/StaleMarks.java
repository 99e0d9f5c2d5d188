package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ledger.Block;
import dev.spinneret.ledger.PoolBlocks;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;

/**
 * Withdrawal marks past their time: the pool webhook marks addresses a pending update removes
 * ({@link dev.spinneret.ledger.ShrinkFence}); a mark outlives its update when that update was stored (the pool's
 * generation moved on) or never came (it expired). Every block write drops them along the way; this removes them
 * from blocks nothing else writes.
 */
@ApplicationScoped
public class StaleMarks {
    @Inject
    PoolBlocks blocks;

    /** Removes the marks past their time from the pool's blocks (as last read); a conflict waits a sweep. */
    void drop(SpiderIPPool pool) {
        if (!PoolBlocks.migrated(pool)) {
            return;
        }
        long generation = pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
        Instant now = Instant.now();
        for (Block b : blocks.view(pool).all()) {
            var live = b.withdrawn().stream().filter(m -> Block.live(m, generation, now)).toList();
            if (live.size() < b.withdrawn().size()) {
                try {
                    blocks.write(pool, b, b.ledger(), live);
                } catch (PoolBlocks.Conflict c) {
                    // changed meanwhile: the next sweep looks again
                }
            }
        }
    }
}
