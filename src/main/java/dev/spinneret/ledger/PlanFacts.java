package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ReservedAddresses;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.PoolSpec;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.List;

/**
 * The bridge between a stored pool and the pure {@link BlockPlanner}: what the planner needs of the pool (its spec
 * parsed, the addresses it hands out, this process's cursor), planning from the view of its blocks, and the
 * planner's answer in the caller's terms.
 */
@ApplicationScoped
public class PlanFacts {
    @Inject
    PoolBlocks blocks;
    @Inject
    ReservedAddresses reserved;
    @Inject
    AllocationCursors cursors;

    /** Plans {@code ops} against the pool's blocks as this process last saw them. */
    BlockPlanner.Plan plan(SpiderIPPool pool, List<BlockPlanner.Op> ops) {
        return BlockPlanner.plan(facts(pool), blocks.view(pool), ops, Instant.now());
    }

    /** What the planner needs of the pool. */
    BlockPlanner.Pool facts(SpiderIPPool pool) {
        AddressSpec spec = null;
        String invalid = null;
        try {
            spec = PoolSpec.handingOut(pool);
        } catch (RuntimeException e) {
            invalid = "its spec is invalid: " + e.getMessage();
        }
        return new BlockPlanner.Pool(pool.getMetadata().getName(), pool.getMetadata().getUid(), generation(pool),
                pool.isMarkedForDeletion(), Boolean.TRUE.equals(pool.getSpec().disable), invalid,
                spec == null ? null : spec.usable(), spec == null ? null : spec.gateway(),
                spec == null ? null : handOut(spec), cursors.orStored(pool));
    }

    /** The addresses the pool hands out now: usable, but not reserved (SpiderReservedIP) nor the gateway. */
    IpRangeSet handOut(AddressSpec spec) {
        return spec.handOut(reserved.of(spec.family()));
    }

    static long generation(SpiderIPPool pool) {
        return pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
    }

    /** The planner's answer as the caller's: a reserved address comes with the pool (gateway, routes, subnet). */
    static LedgerOutcome answer(SpiderIPPool pool, BlockPlanner.Outcome o) {
        String name = pool.getMetadata().getName();
        if (o instanceof BlockPlanner.Outcome.Reserved r) {
            return new LedgerOutcome.Reserved(r.address(), pool);
        }
        if (o instanceof BlockPlanner.Outcome.Exhausted e) {
            return new LedgerOutcome.Exhausted(name, e.total(), e.allocated());
        }
        if (o instanceof BlockPlanner.Outcome.Unavailable u) {
            return new LedgerOutcome.Unavailable(name, u.reason());
        }
        return new LedgerOutcome.Released(((BlockPlanner.Outcome.Released) o).addresses());
    }
}
