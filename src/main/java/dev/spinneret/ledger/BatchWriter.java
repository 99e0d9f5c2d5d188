package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.jboss.logging.Logger;

/**
 * Applies one batch of a pool's operations: read → pure plan ({@link BlockPlanner}) → conditional block writes →
 * fences, again from the top after a conflict. Each block write carries that block's resourceVersion, so two writers
 * — threads, webhook replicas, a restarted process — can never hand out one address twice: the loser gets 409,
 * re-reads that block and re-plans. A write's size does not depend on the pool's size. An answer that needs no
 * write (already held, nothing to release, exhausted, held by another reservation) is given only after a fresh read
 * of the pool's blocks.
 *
 * <p>Fences: a batch that allocated reads the pool once after its block writes; if the pool is gone, re-created,
 * being deleted or disabled, the new allocations are taken back (Unavailable), and addresses that left the pool's
 * spec meanwhile are taken back and re-planned. A pool update removing addresses first marks them withdrawn in their
 * blocks ({@link ShrinkFence}), so no writer takes them while that update is in flight.
 */
@ApplicationScoped
public class BatchWriter {
    private static final Logger LOG = Logger.getLogger(BatchWriter.class);
    static final int MAX_ATTEMPTS = 12;

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    PoolBlocks blocks;
    @Inject
    InlineLedgerMigration migration;
    @Inject
    PlanFacts facts;
    @Inject
    AllocationCursors cursors;
    @Inject
    PoolCounts counts;
    @Inject
    MeterRegistry meters;

    /** The outcome of each of {@code ops}, in their order. */
    List<LedgerOutcome> apply(String poolName, List<BlockPlanner.Op> ops) {
        boolean fresh = false;
        // the cached pool is good enough to plan from once migrated: a stale spec is fenced (withdrawal marks, and
        // the read of the pool after the write), a stale ledger does not exist (the ledger is in the blocks)
        SpiderIPPool pool = cache.pool(poolName).filter(PoolBlocks::migrated).orElse(null);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (pool == null) {
                pool = migration.migrate(poolName, client.resources(SpiderIPPool.class).withName(poolName).get());
                if (pool == null) {
                    return ops.stream().map(op -> op.reserve()
                            ? (LedgerOutcome) new LedgerOutcome.Unavailable(poolName, "no such SpiderIPPool")
                            : new LedgerOutcome.Released(0)).toList();
                }
            }
            BlockPlanner.Plan plan = facts.plan(pool, ops);
            if (plan.needsConfirm() && !fresh) {
                blocks.readFresh(pool); // an answer without a write is given from a fresh read only
                fresh = true;
                attempt--;
                continue;
            }
            try {
                writeBlocks(pool, plan);
            } catch (PoolBlocks.Conflict c) {
                count("spinneret.ledger.conflicts", poolName);
                fresh = false;
                sleepBackoff(attempt);
                continue;
            }
            String closed = null;
            if (!plan.allocated().isEmpty()) {
                // deletion/disable/spec fence: the pool as it is now, after our write
                SpiderIPPool now = client.resources(SpiderIPPool.class).withName(poolName).get();
                closed = closedSince(pool, now);
                if (now != null && (!now.getMetadata().getUid().equals(pool.getMetadata().getUid())
                        || !PoolBlocks.migrated(now))) {
                    // planned from a cached predecessor of this name, or a pool whose ledger is inline again
                    // (written by hand or by a tool): take back, migrate, plan again
                    takeBack(pool, plan.allocated());
                    pool = null;
                    fresh = false;
                    continue;
                }
                if (closed != null) {
                    takeBack(pool, plan.allocated());
                } else {
                    List<BlockPlanner.Alloc> outside = outsideSpec(now, plan.allocated());
                    if (!outside.isEmpty()) {
                        takeBack(pool, outside); // the spec shrank meanwhile: plan those again from the new spec
                        pool = PoolBlocks.migrated(now) ? now : null;
                        fresh = false;
                        continue;
                    }
                    pool = now;
                }
            }
            if (plan.cursor() != null) {
                cursors.moved(pool, plan.cursor());
            }
            List<LedgerOutcome> outcomes = new ArrayList<>();
            for (BlockPlanner.Outcome o : plan.outcomes()) {
                outcomes.add(PlanFacts.answer(pool, o));
            }
            if (closed != null) {
                for (BlockPlanner.Alloc a : plan.allocated()) {
                    outcomes.set(a.op(), new LedgerOutcome.Unavailable(poolName, closed));
                }
            }
            counts.due(poolName); // also arrives as a block change; coalesced
            return outcomes;
        }
        throw new IllegalStateException("SpiderIPPool " + poolName + " kept changing under " + MAX_ATTEMPTS
                + " write attempts; giving up on this batch");
    }

    /** Why a pool that was open when planned no longer hands out addresses, or null. */
    private static String closedSince(SpiderIPPool planned, SpiderIPPool now) {
        if (now == null) {
            return "no such SpiderIPPool";
        }
        if (!now.getMetadata().getUid().equals(planned.getMetadata().getUid())) {
            return "it was deleted and created again";
        }
        if (now.isMarkedForDeletion()) {
            return "it is being deleted";
        }
        if (now.getSpec() != null && Boolean.TRUE.equals(now.getSpec().disable)) {
            return "spec.disable is true";
        }
        return null;
    }

    private List<BlockPlanner.Alloc> outsideSpec(SpiderIPPool now, List<BlockPlanner.Alloc> allocated) {
        IpRangeSet handOut;
        try {
            handOut = facts.handOut(PoolSpec.handingOut(now));
        } catch (RuntimeException e) {
            return allocated;
        }
        return allocated.stream().filter(a -> !handOut.contains(a.address())).toList();
    }

    /** Writes the plan's changed blocks, one conditional write each (marks past their time are dropped). */
    private void writeBlocks(SpiderIPPool pool, BlockPlanner.Plan plan) {
        long generation = PlanFacts.generation(pool);
        Instant now = Instant.now();
        for (BlockPlanner.Change c : plan.changes()) {
            List<SpinneretIPBlockWithdrawal> marks = c.base().withdrawn().stream()
                    .filter(m -> Block.live(m, generation, now)).toList();
            blocks.write(pool, c.base(), c.ledger(), marks, c.bind());
            count("spinneret.ledger.writes", pool.getMetadata().getName());
        }
    }

    /** Removes the given new allocations again (each only while its reservation still holds it). */
    private void takeBack(SpiderIPPool pool, List<BlockPlanner.Alloc> allocs) {
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            try {
                PoolBlockView view = blocks.view(pool);
                for (BlockPlanner.Alloc a : allocs) {
                    Block b = view.get(AddressBlocks.blockOf(a.address()));
                    if (b == null || !b.ledger().owner(a.address()).map(a.id()::equals).orElse(false)) {
                        continue;
                    }
                    blocks.write(pool, b, b.ledger().without(a.address()), b.withdrawn());
                }
                return;
            } catch (PoolBlocks.Conflict c) {
                sleepBackoff(attempt);
            }
        }
        // the reservations were never answered: the garbage-collection sweep releases them as orphans
        LOG.warnf("SpiderIPPool %s: could not take back %d new allocation(s); the GC sweep releases them",
                pool.getMetadata().getName(), allocs.size());
    }

    private void count(String name, String pool) {
        Counter.builder(name).tag("pool", pool).register(meters).increment();
    }

    private static void sleepBackoff(int attempt) {
        long base = Math.min(200, 5L << Math.min(attempt, 6));
        try {
            Thread.sleep(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while retrying a ledger write", e);
        }
    }
}
