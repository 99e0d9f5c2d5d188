package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.IpAddress;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Reservations and releases of pool addresses. A pool's ledger lives in
 * {@link dev.spinneret.api.v1alpha1.SpinneretIPBlock}s of 256 addresses ({@link PoolBlocks}); this writer changes
 * which reservation holds which address. Other writers of blocks touch other things and meet it through the same
 * conditional writes: the pool webhook marks addresses withdrawn ({@link ShrinkFence}), the migration of an inline
 * ledger creates blocks ({@link InlineLedgerMigration}), and garbage collection drops withdrawal marks past their time.
 *
 * <p>Within this process, requests for one pool are queued and applied in batches ({@link BatchQueue}), each batch
 * planned by the pure {@link BlockPlanner} from the in-memory view of the pool's blocks (informer plus own writes)
 * and written by {@link BatchWriter} (compare-and-swap per block, fences, retries). Reserve is idempotent per
 * reservation id; release removes only the addresses held by that id. The pool's counts are kept apart, by
 * {@link PoolCounts}.
 */
@ApplicationScoped
public class PoolLedgerWriter {
    private static final Logger LOG = Logger.getLogger(PoolLedgerWriter.class);

    @Inject
    BatchWriter writer;
    @Inject
    PlanFacts facts;
    @ConfigProperty(name = "spinneret.ledger.release-linger", defaultValue = "200ms")
    Duration releaseLinger;

    private final Map<String, BatchQueue<Op>> queues = new ConcurrentHashMap<>();
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
     * What a reservation would get from this (cached) pool and the view of its blocks, without writing anything:
     * the answer to a dry run. Best effort: another writer may take that address before a real request comes.
     */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId, String holder) {
        return preview(pool, reservationId, holder, null);
    }

    /** {@link #preview(SpiderIPPool, String, String)} for exactly {@code address} (when not null). */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId, String holder, IpAddress address) {
        BlockPlanner.Op op = new BlockPlanner.Op(true, reservationId, holder, address, address != null);
        return PlanFacts.answer(pool, facts.plan(pool, List.of(op)).outcomes().get(0));
    }

    private CompletableFuture<LedgerOutcome> submit(String pool, Op op, boolean linger) {
        queues.computeIfAbsent(pool, k -> new BatchQueue<Op>(workers, lingerTimer, batch -> applyAnswering(k, batch)))
                .submit(op, linger ? releaseLinger.toMillis() : 0);
        return op.done();
    }

    private void applyAnswering(String pool, List<Op> batch) {
        try {
            List<LedgerOutcome> outcomes = writer.apply(pool, batch.stream().map(Op::op).toList());
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).done().complete(outcomes.get(i));
            }
        } catch (PoolBlocks.NotAdoptable e) {
            // a ledger Spiderpool wrote that cannot be adopted now: the message says why (no stack trace each time)
            LOG.warnf("ledger write for SpiderIPPool %s refused: %s", pool, e.getMessage());
            batch.forEach(op -> op.done().completeExceptionally(e));
        } catch (RuntimeException e) {
            LOG.errorf(e, "ledger write for SpiderIPPool %s failed", pool);
            batch.forEach(op -> op.done().completeExceptionally(e));
        }
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
        lingerTimer.shutdownNow();
    }
}
