package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.ReservedAddresses;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRange;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.PoolRestrictions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The only writer of pool ledgers. A pool's ledger lives in {@link dev.spinneret.api.v1alpha1.SpinneretIPBlock}s of
 * 256 addresses ({@link PoolBlocks}); a reservation or release rewrites only the block(s) it touches, each write
 * carrying that block's resourceVersion, so two writers — threads, webhook replicas, a restarted process — can never
 * hand out one address twice: the loser gets 409, re-reads that block and re-plans. A write's size does not depend on
 * the pool's size.
 *
 * <p>Within this process, requests for one pool are queued and applied in batches, planned by the pure
 * {@link BlockPlanner} from the in-memory view of the pool's blocks (informer plus own writes). A stale view only costs a 409; an answer that needs no write
 * (already held, nothing to release, exhausted, held by another reservation) is given only after a fresh read of
 * the pool's blocks. Reserve is idempotent per reservation id; release removes only the addresses held by that id.
 *
 * <p>Fences: a batch that allocated reads the pool once after its block writes; if the pool is gone, re-created,
 * being deleted or disabled, the new allocations are taken back (Unavailable), and addresses that left the pool's
 * spec meanwhile are taken back and re-planned. A pool update removing addresses first marks them withdrawn in their
 * blocks (the pool webhook), so no writer takes them while that update is in flight.
 *
 * <p>The pool's counts ({@code kubectl get sp} columns) are written by a coalescing writer on the replica that
 * leads garbage collection, at most about once a second per pool and only when they differ: they lag the blocks by
 * up to about a second (longer while no replica leads, e.g. the lease's 15 s after a leader dies).
 */
@ApplicationScoped
public class PoolLedgerWriter {
    private static final Logger LOG = Logger.getLogger(PoolLedgerWriter.class);
    static final int MAX_ATTEMPTS = 12;

    @Inject
    KubernetesClient client;
    @Inject
    ReservedAddresses reserved;
    @Inject
    MeterRegistry meters;
    @Inject
    PoolBlocks blocks;
    @Inject
    ClusterCache cache;
    @ConfigProperty(name = "spinneret.ledger.release-linger", defaultValue = "200ms")
    Duration releaseLinger;

    private final Map<String, BatchQueue<Op>> queues = new ConcurrentHashMap<>();
    /** pool UID → the last address this process handed out (the next search starts after it). */
    private final Map<String, IpAddress> cursors = new ConcurrentHashMap<>();
    /** Whether this replica keeps the pools' counts (it leads garbage collection). */
    private volatile boolean followingCounts;
    /** Pools whose counts are due to be written (coalesced: one write per pool per second at most). */
    private final Set<String> countsDue = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService countsTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pool-counts-writer");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService lingerTimer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pool-release-linger");
        t.setDaemon(true);
        return t;
    });
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pool-ledger-writer");
        t.setDaemon(true);
        return t;
    });

    /** An operation of the planner's, and its caller's answer. */
    private record Op(BlockPlanner.Op op, CompletableFuture<LedgerOutcome> done) {
        Op(BlockPlanner.Op op) {
            this(op, new CompletableFuture<>());
        }
    }

    /**
     * Reserves an address of {@code pool} for reservation {@code reservationId}, bound to pod {@code holder}
     * ({@code namespace/name}); idempotent per id. An id already bound to another pod is refused (Unavailable).
     */
    public CompletableFuture<LedgerOutcome> reserve(String pool, String reservationId, String holder,
            IpAddress preferred) {
        return submit(pool, new Op(BlockPlanner.Op.reserve(reservationId, requireHolder(holder), preferred)), false);
    }

    private static String requireHolder(String holder) {
        if (holder == null || holder.indexOf('/') <= 0 || holder.endsWith("/")) {
            throw new IllegalArgumentException("a reservation is bound to namespace/name, not '" + holder + "'");
        }
        return holder;
    }

    /**
     * Reserves exactly {@code address} (a static address the pod asks for): Unavailable, saying why, when the pool
     * does not hand it out or another reservation holds it. A reservation holding another address of this pool
     * moves to this one.
     */
    public CompletableFuture<LedgerOutcome> reserveExactly(String pool, String reservationId, String holder,
            IpAddress address) {
        return submit(pool, new Op(BlockPlanner.Op.reserveExactly(reservationId, requireHolder(holder), address)),
                false);
    }

    /**
     * Releases what {@code reservationId} holds in {@code pool} and is bound to {@code holder} (null: whatever pod it
     * is bound to, for the sweep's release of an orphan whose binding it has just checked).
     */
    public CompletableFuture<LedgerOutcome> release(String pool, String reservationId, String holder) {
        return submit(pool, new Op(BlockPlanner.Op.release(reservationId, holder)), false);
    }

    /**
     * A release that may wait up to {@code spinneret.ledger.release-linger} before its write starts, so that the
     * releases of many deleted pods share block writes (a freed address is not needed at once; a reservation is):
     * releases arriving meanwhile join the batch, and a reservation for the pool starts the write at once, taking
     * the lingering releases along. A process that dies while a release lingers loses nothing the sweep does not
     * find: the pod is gone, so its reservation is released as an orphan.
     */
    public CompletableFuture<LedgerOutcome> releaseLater(String pool, String reservationId, String holder) {
        return submit(pool, new Op(BlockPlanner.Op.release(reservationId, requireHolder(holder))), true);
    }

    /**
     * Migrates the pool's ledger into blocks if needed, then has totalIPCount/allocatedIPCount/freeIPCount/
     * restrictedBy recomputed from spec and blocks (after a spec change) by the counts writer, which writes only if
     * they differ.
     */
    public CompletableFuture<LedgerOutcome> refreshCounts(String pool) {
        return submit(pool, new Op(BlockPlanner.Op.release("", null)), false); // the planner changes nothing
    }

    private CompletableFuture<LedgerOutcome> submit(String pool, Op op, boolean linger) {
        queues.computeIfAbsent(pool, k -> new BatchQueue<Op>(workers, lingerTimer, batch -> applyAnswering(k, batch)))
                .submit(op, linger ? releaseLinger.toMillis() : 0);
        return op.done();
    }

    private void applyAnswering(String pool, List<Op> batch) {
        try {
            apply(pool, batch);
        } catch (RuntimeException e) {
            LOG.errorf(e, "ledger write for SpiderIPPool %s failed", pool);
            batch.forEach(op -> op.done().completeExceptionally(e));
        }
    }

    private void apply(String poolName, List<Op> batch) {
        boolean fresh = false;
        // the cached pool is good enough to plan from once migrated: a stale spec is fenced (withdrawal marks, and
        // the read of the pool after the write), a stale ledger does not exist (the ledger is in the blocks)
        SpiderIPPool pool = cache.pool(poolName).filter(PoolBlocks::migrated).orElse(null);
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            if (pool == null) {
                pool = blocks.migrate(poolName, client.resources(SpiderIPPool.class).withName(poolName).get());
                if (pool == null) {
                    batch.forEach(op -> op.done().complete(op.op().reserve()
                            ? new LedgerOutcome.Unavailable(poolName, "no such SpiderIPPool")
                            : new LedgerOutcome.Released(0)));
                    return;
                }
            }
            BlockPlanner.Plan plan = plan(pool, batch);
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
                cursors.put(pool.getMetadata().getUid(), plan.cursor());
            }
            List<LedgerOutcome> outcomes = new ArrayList<>();
            for (BlockPlanner.Outcome o : plan.outcomes()) {
                outcomes.add(answer(pool, o));
            }
            if (closed != null) {
                for (BlockPlanner.Alloc a : plan.allocated()) {
                    outcomes.set(a.op(), new LedgerOutcome.Unavailable(poolName, closed));
                }
            }
            complete(batch, outcomes);
            countsDue(poolName); // also arrives as a block change; coalesced
            return;
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
            handOut = handOut(AddressSpec.parse(now.getSpec().ipVersion, now.getSpec().subnet, now.getSpec().ips,
                    now.getSpec().excludeIPs, now.getSpec().gateway, null));
        } catch (RuntimeException e) {
            return allocated;
        }
        return allocated.stream().filter(a -> !handOut.contains(a.address())).toList();
    }

    private IpRangeSet handOut(AddressSpec spec) {
        IpRangeSet handOut = spec.usable().minus(reserved.of(spec.family()));
        if (spec.gateway() != null) {
            handOut = handOut.minus(IpRangeSet.of(IpRange.single(spec.gateway())));
        }
        return handOut;
    }

    /** Writes the plan's changed blocks, one conditional write each (marks past their time are dropped). */
    private void writeBlocks(SpiderIPPool pool, BlockPlanner.Plan plan) {
        long generation = generation(pool);
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
                PoolBlocks.View view = blocks.view(pool);
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

    /** Plans {@code batch} against the pool's blocks as this process last saw them ({@link BlockPlanner}). */
    private BlockPlanner.Plan plan(SpiderIPPool pool, List<Op> batch) {
        return BlockPlanner.plan(facts(pool), blocks.view(pool), batch.stream().map(Op::op).toList(), Instant.now());
    }

    /** What the planner needs of the pool: its spec parsed, the addresses it hands out, this process's cursor. */
    private BlockPlanner.Pool facts(SpiderIPPool pool) {
        AddressSpec spec = null;
        String invalid = null;
        try {
            spec = AddressSpec.parse(pool.getSpec().ipVersion, pool.getSpec().subnet, pool.getSpec().ips,
                    pool.getSpec().excludeIPs, pool.getSpec().gateway, null);
        } catch (RuntimeException e) {
            invalid = "its spec is invalid: " + e.getMessage();
        }
        IpRangeSet handOut = spec == null ? null : handOut(spec);
        IpAddress cursor = cursors.get(pool.getMetadata().getUid());
        if (cursor == null && pool.getStatus() != null) {
            cursor = parseOrNull(pool.getStatus().lastAllocatedIP);
        }
        return new BlockPlanner.Pool(pool.getMetadata().getName(), pool.getMetadata().getUid(), generation(pool),
                pool.isMarkedForDeletion(), Boolean.TRUE.equals(pool.getSpec().disable), invalid,
                spec == null ? null : spec.usable(), spec == null ? null : spec.gateway(), handOut, cursor);
    }

    private static long generation(SpiderIPPool pool) {
        return pool.getMetadata().getGeneration() == null ? 0 : pool.getMetadata().getGeneration();
    }

    /** The planner's answer as the caller's: a reserved address comes with the pool (gateway, routes, subnet). */
    private static LedgerOutcome answer(SpiderIPPool pool, BlockPlanner.Outcome o) {
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

    // ---------------------------------------------------------------- counts

    /**
     * Counts follow every block change this replica sees, whoever wrote the block, and only on the replica that
     * leads garbage collection ({@link #followCounts}): one replica computing from one view means no two replicas
     * take turns writing counts from views that lag differently, and the others spend nothing on counts. A replica
     * that writes counts after its own writes only, from a view that lagged, would leave them wrong until the pool's
     * next change.
     */
    @PostConstruct
    void followBlocks() {
        blocks.onChange(this::countsDue);
    }

    /**
     * Starts or stops following block changes for the counts (the reaper calls this as this replica gains or loses
     * the lead). On gaining it, every known pool's counts are checked once: changes made while no replica led (a
     * failover) are counted too. A check reads the cached pool and writes only counts that differ.
     */
    public void followCounts(boolean follow) {
        followingCounts = follow;
        if (follow) {
            cache.pools().forEach(p -> countsDue(p.getMetadata().getName()));
        }
    }

    /** Schedules a counts check of the pool, on the lease holder only (elsewhere nothing is done). */
    private void countsDue(String pool) {
        if (followingCounts && countsDue.add(pool)) {
            countsTimer.schedule(() -> {
                countsDue.remove(pool);
                try {
                    writeCounts(pool);
                } catch (RuntimeException e) {
                    LOG.warnf("counts of SpiderIPPool %s not written: %s; the next change retries", pool,
                            e.getMessage());
                }
            }, 1, TimeUnit.SECONDS);
        }
    }

    /** Writes the pool's counts from the view of its blocks when they differ (status update, 409 → re-read). */
    void writeCounts(String poolName) {
        // every replica follows every block change: read the pool fresh only when the cached copy's counts differ
        SpiderIPPool cached = cache.pool(poolName).orElse(null);
        boolean useCache = cached != null;
        for (int attempt = 1; attempt <= 5; attempt++) {
            // the cached pool is only read (a differing count decides on a fresh read, which is the one written)
            SpiderIPPool pool = useCache ? cached : client.resources(SpiderIPPool.class).withName(poolName).get();
            if (pool == null || !PoolBlocks.migrated(pool) || pool.getSpec() == null) {
                return;
            }
            AddressSpec spec;
            try {
                spec = AddressSpec.parse(pool.getSpec().ipVersion, pool.getSpec().subnet, pool.getSpec().ips,
                        pool.getSpec().excludeIPs, pool.getSpec().gateway, null);
            } catch (RuntimeException e) {
                return;
            }
            IpRangeSet handOut = handOut(spec);
            long allocated = 0;
            long inHandOut = 0;
            for (Block b : blocks.view(pool).all()) {
                allocated += b.ledger().size();
                inHandOut += handOut.intersectionSize(b.allocated()).longValue();
            }
            SpiderIPPoolStatus st = pool.getStatus();
            long total = spec.usable().sizeSaturatedLong();
            long free = handOut.sizeSaturatedLong() - inHandOut;
            String restrictedBy = PoolRestrictions.of(pool.getSpec());
            IpAddress cursor = cursors.get(pool.getMetadata().getUid());
            String last = cursor == null ? st.lastAllocatedIP : cursor.toString();
            // lastAllocatedIP is each replica's own cursor: it rides along with a counts change but never causes a
            // write by itself (two replicas would otherwise take turns rewriting it)
            if (Long.valueOf(total).equals(st.totalIPCount) && Long.valueOf(allocated).equals(st.allocatedIPCount)
                    && Long.valueOf(free).equals(st.freeIPCount) && restrictedBy.equals(st.restrictedBy)
                    && (st.lastAllocatedIP != null || last == null)) {
                return;
            }
            if (useCache) {
                useCache = false; // the cached counts differ: decide on a fresh read
                attempt--;
                continue;
            }
            st.totalIPCount = total;
            st.allocatedIPCount = allocated;
            st.freeIPCount = free;
            st.restrictedBy = restrictedBy;
            st.lastAllocatedIP = last;
            try {
                client.resources(SpiderIPPool.class).resource(pool).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
    }

    private static IpAddress parseOrNull(String s) {
        try {
            return s == null ? null : IpAddress.parse(s);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static void complete(List<Op> batch, List<LedgerOutcome> outcomes) {
        for (int i = 0; i < batch.size(); i++) {
            batch.get(i).done().complete(outcomes.get(i));
        }
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

    /**
     * What a reservation would get from this (cached) pool and the view of its blocks, without writing anything:
     * the answer to a dry run. Best effort: another writer may take that address before a real request comes.
     */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId, String holder) {
        return preview(pool, reservationId, holder, null);
    }

    /** {@link #preview(SpiderIPPool, String, String)} for exactly {@code address} (when not null). */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId, String holder, IpAddress address) {
        BlockPlanner.Op op = new BlockPlanner.Op(true, reservationId, holder, address, address != null);
        return answer(pool, BlockPlanner.plan(facts(pool), blocks.view(pool), List.of(op), Instant.now())
                .outcomes().get(0));
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
        countsTimer.shutdownNow();
        lingerTimer.shutdownNow();
    }
}
