package dev.spinneret.reservation;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.FreeAddressFinder;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRange;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ippool.AddressSpec;
import dev.spinneret.ippool.PoolRestrictions;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jboss.logging.Logger;

/**
 * The only writer of pool ledgers ({@code SpiderIPPool.status.allocatedIPs}). Every change is a status update that
 * carries the resourceVersion it was computed from, so two writers — threads, webhook replicas, a restarted
 * process — can never hand out one address twice: the loser gets 409, re-reads and recomputes.
 *
 * <p>Within this process, requests for one pool are queued and applied in batches: one read and one write serve
 * every reservation that arrived meanwhile, instead of each request fighting for the object. Reserve is
 * idempotent per reservation id (a retried request gets the address it already holds); release removes only the
 * addresses held by that reservation id, so a late or repeated release never frees an address someone else holds.
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

    private final Map<String, PoolQueue> queues = new ConcurrentHashMap<>();
    private final Map<String, SpiderIPPool> lastWritten = new ConcurrentHashMap<>();
    /** The last ledger decoded or written per pool with its encoded text: an unchanged ledger is never decoded again. */
    private final Map<String, Decoded> decoded = new ConcurrentHashMap<>();

    private record Decoded(dev.spinneret.ip.IpFamily family, String encoded, AllocationLedger ledger) {
    }
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "pool-ledger-writer");
        t.setDaemon(true);
        return t;
    });

    /** {@code exact}: {@code preferred} is the only acceptable address (a static address the pod asks for). */
    private record Op(boolean reserve, String reservationId, IpAddress preferred, boolean exact,
            CompletableFuture<LedgerOutcome> done) {
    }

    private static final class PoolQueue {
        final Queue<Op> pending = new ConcurrentLinkedQueue<>();
        final AtomicBoolean draining = new AtomicBoolean();
    }

    public CompletableFuture<LedgerOutcome> reserve(String pool, String reservationId, IpAddress preferred) {
        return submit(pool, new Op(true, reservationId, preferred, false, new CompletableFuture<>()));
    }

    /**
     * Reserves exactly {@code address} (a static address the pod asks for): Unavailable, saying why, when the pool
     * does not hand it out or another reservation holds it. A reservation holding another address of this pool
     * moves to this one.
     */
    public CompletableFuture<LedgerOutcome> reserveExactly(String pool, String reservationId, IpAddress address) {
        return submit(pool, new Op(true, reservationId, address, true, new CompletableFuture<>()));
    }

    public CompletableFuture<LedgerOutcome> release(String pool, String reservationId) {
        return submit(pool, new Op(false, reservationId, null, false, new CompletableFuture<>()));
    }

    /**
     * Recomputes totalIPCount/allocatedIPCount/freeIPCount/restrictedBy from spec and ledger (after a spec change),
     * writing only if they differ.
     */
    public CompletableFuture<LedgerOutcome> refreshCounts(String pool) {
        return submit(pool, new Op(false, "", null, false, new CompletableFuture<>()));
    }

    private CompletableFuture<LedgerOutcome> submit(String pool, Op op) {
        PoolQueue q = queues.computeIfAbsent(pool, k -> new PoolQueue());
        q.pending.add(op);
        if (q.draining.compareAndSet(false, true)) {
            workers.execute(() -> drain(pool, q));
        }
        return op.done();
    }

    private void drain(String pool, PoolQueue q) {
        while (true) {
            List<Op> batch = new ArrayList<>();
            for (Op op; (op = q.pending.poll()) != null;) {
                batch.add(op);
            }
            if (batch.isEmpty()) {
                q.draining.set(false);
                if (q.pending.isEmpty() || !q.draining.compareAndSet(false, true)) {
                    return;
                }
                continue;
            }
            try {
                apply(pool, batch);
            } catch (RuntimeException e) {
                LOG.errorf(e, "ledger write for SpiderIPPool %s failed", pool);
                batch.forEach(op -> op.done().completeExceptionally(e));
            }
        }
    }

    private void apply(String poolName, List<Op> batch) {
        boolean refresh = batch.stream().anyMatch(op -> op.reservationId().isEmpty());
        boolean trustHint = !refresh;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            // The pool as we last wrote it saves a read per batch. A stale copy is harmless only when we write: the
            // write carries its resourceVersion (409 → fresh read). Any answer that needs no write (already held,
            // nothing to release, exhausted) is therefore never given from the copy: re-read and re-plan.
            boolean fromHint = trustHint && lastWritten.containsKey(poolName);
            trustHint = false;
            SpiderIPPool pool = fromHint ? lastWritten.get(poolName)
                    : client.resources(SpiderIPPool.class).withName(poolName).get();
            if (pool == null) {
                lastWritten.remove(poolName);
                decoded.remove(poolName);
                batch.forEach(op -> op.done().complete(op.reserve()
                        ? new LedgerOutcome.Unavailable(poolName, "no such SpiderIPPool")
                        : new LedgerOutcome.Released(0)));
                return;
            }
            Plan plan = plan(pool, batch);
            if (fromHint && !plan.changed) {
                attempt--;
                continue;
            }
            if (!plan.changed) {
                complete(batch, plan.outcomes);
                return;
            }
            SpiderIPPoolStatus status = pool.getStatus() == null ? new SpiderIPPoolStatus() : pool.getStatus();
            status.allocatedIPs = plan.ledger.encode();
            status.allocatedIPCount = (long) plan.ledger.size();
            status.totalIPCount = plan.total;
            status.lastAllocatedIP = plan.cursor == null ? status.lastAllocatedIP : plan.cursor.toString();
            status.freeIPCount = plan.free;
            status.restrictedBy = plan.restrictedBy;
            pool.setStatus(status);
            try {
                SpiderIPPool written = client.resources(SpiderIPPool.class).resource(pool).updateStatus();
                lastWritten.put(poolName, written);
                decoded.put(poolName, new Decoded(plan.ledger.family(), status.allocatedIPs, plan.ledger));
                count("spinneret.ledger.writes", poolName);
                // outcomes of reservations carry the pool as written (gateway, routes, subnet)
                for (int i = 0; i < plan.outcomes.size(); i++) {
                    if (plan.outcomes.get(i) instanceof LedgerOutcome.Reserved r) {
                        plan.outcomes.set(i, new LedgerOutcome.Reserved(r.address(), written));
                    }
                }
                complete(batch, plan.outcomes);
                return;
            } catch (KubernetesClientException e) {
                lastWritten.remove(poolName);
                if (e.getCode() != 409) {
                    throw e;
                }
                count("spinneret.ledger.conflicts", poolName);
                sleepBackoff(attempt);
            }
        }
        throw new IllegalStateException("SpiderIPPool " + poolName + " kept changing under " + MAX_ATTEMPTS
                + " write attempts; giving up on this batch (nothing was written)");
    }

    private static final class Plan {
        AllocationLedger ledger;
        boolean changed;
        long total;
        long free;
        String restrictedBy;
        IpAddress cursor;
        final List<LedgerOutcome> outcomes = new ArrayList<>();
    }

    private Plan plan(SpiderIPPool pool, List<Op> batch) {
        String name = pool.getMetadata().getName();
        Plan plan = new Plan();
        AddressSpec spec;
        try {
            spec = AddressSpec.parse(pool.getSpec().ipVersion, pool.getSpec().subnet, pool.getSpec().ips,
                    pool.getSpec().excludeIPs, pool.getSpec().gateway, null);
        } catch (RuntimeException e) {
            batch.forEach(op -> plan.outcomes.add(op.reserve()
                    ? new LedgerOutcome.Unavailable(name, "its spec is invalid: " + e.getMessage())
                    : new LedgerOutcome.Released(0)));
            plan.ledger = AllocationLedger.empty(dev.spinneret.ip.IpFamily.V4);
            return plan;
        }
        String encoded = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        plan.ledger = decode(name, spec.family(), encoded);
        IpRangeSet usable = spec.usable();
        plan.total = usable.sizeSaturatedLong();
        IpRangeSet handOut = usable.minus(reserved.of(spec.family()));
        if (spec.gateway() != null) {
            handOut = handOut.minus(IpRangeSet.of(IpRange.single(spec.gateway())));
        }
        String last = pool.getStatus() == null ? null : pool.getStatus().lastAllocatedIP;
        IpAddress cursor = parseOrNull(last);
        boolean closed = pool.isMarkedForDeletion() || Boolean.TRUE.equals(pool.getSpec().disable);
        long before = plan.ledger.size();
        for (Op op : batch) {
            if (!op.reserve()) {
                if (op.reservationId().isEmpty()) {
                    plan.outcomes.add(new LedgerOutcome.Released(0));
                    continue;
                }
                int held = plan.ledger.addressesOf(op.reservationId()).size();
                if (held > 0) {
                    plan.ledger = plan.ledger.withoutReservation(op.reservationId());
                    plan.changed = true;
                }
                plan.outcomes.add(new LedgerOutcome.Released(held));
                continue;
            }
            List<IpAddress> held = plan.ledger.addressesOf(op.reservationId());
            if (!held.isEmpty() && (!op.exact() || held.contains(op.preferred()))) {
                plan.outcomes.add(new LedgerOutcome.Reserved(op.exact() ? op.preferred() : held.get(0), pool));
                continue;
            }
            if (closed) {
                plan.outcomes.add(new LedgerOutcome.Unavailable(name, pool.isMarkedForDeletion()
                        ? "it is being deleted" : "spec.disable is true"));
                continue;
            }
            if (op.exact()) {
                String why = exactUnavailable(plan.ledger, handOut, usable, spec.gateway(), op.preferred());
                if (why != null) {
                    plan.outcomes.add(new LedgerOutcome.Unavailable(name, why));
                    continue;
                }
                if (!held.isEmpty()) {
                    plan.ledger = plan.ledger.withoutReservation(op.reservationId()); // moves to the asked address
                }
            }
            IpRangeSet used = plan.ledger.allocated();
            Optional<IpAddress> pick = Optional.empty();
            if (op.preferred() != null && handOut.contains(op.preferred()) && !used.contains(op.preferred())) {
                pick = Optional.of(op.preferred());
            }
            if (pick.isEmpty()) {
                pick = cursor == null ? FreeAddressFinder.lowestFree(handOut, used)
                        : FreeAddressFinder.nextFree(handOut, used, cursor);
            }
            if (pick.isEmpty()) {
                plan.outcomes.add(new LedgerOutcome.Exhausted(name, plan.total, plan.ledger.size()));
                continue;
            }
            plan.ledger = plan.ledger.with(pick.get(), op.reservationId());
            if (op.preferred() == null) {
                cursor = pick.get();
                plan.cursor = cursor;
            }
            plan.changed = true;
            plan.outcomes.add(new LedgerOutcome.Reserved(pick.get(), pool));
        }
        // what a new pod can still get; the same write carries it, as it carries the counts
        plan.free = handOut.sizeSaturatedLong() - handOut.intersectionSize(plan.ledger.allocated()).longValue();
        plan.restrictedBy = PoolRestrictions.of(pool.getSpec());
        SpiderIPPoolStatus recorded = pool.getStatus() == null ? new SpiderIPPoolStatus() : pool.getStatus();
        if (!plan.changed && plan.ledger.size() == before
                && (recorded.totalIPCount == null || recorded.totalIPCount != plan.total
                        || recorded.allocatedIPCount == null || recorded.allocatedIPCount != before
                        || recorded.freeIPCount == null || recorded.freeIPCount != plan.free
                        || !plan.restrictedBy.equals(recorded.restrictedBy))) {
            plan.changed = true; // keep the counts exact even when nothing else changed
        }
        return plan;
    }

    private static String exactUnavailable(AllocationLedger ledger, IpRangeSet handOut, IpRangeSet usable,
            IpAddress gateway, IpAddress address) {
        Optional<String> owner = ledger.owner(address);
        if (owner.isPresent()) {
            return "address " + address + " is already allocated (reservation " + owner.get() + ")";
        }
        if (handOut.contains(address)) {
            return null;
        }
        if (!usable.contains(address)) {
            return "address " + address + " is not among its usable addresses (spec.ips minus spec.excludeIPs)";
        }
        return "address " + address + (address.equals(gateway) ? " is its gateway" : " is held by a SpiderReservedIP");
    }

    /**
     * The pool's ledger, decoded at most once while its text stays the same (a pool of 65,536 allocations is a
     * megabyte of text; comparing equal text is far cheaper than decoding it, and cannot be fooled the way a
     * resourceVersion of an object built in memory could).
     */
    private AllocationLedger decode(String pool, dev.spinneret.ip.IpFamily family, String encoded) {
        String text = encoded == null ? "" : encoded;
        Decoded d = decoded.get(pool);
        if (d != null && d.family() == family && text.equals(d.encoded())) {
            return d.ledger();
        }
        AllocationLedger ledger = AllocationLedger.decode(family, text); // "" is the empty ledger
        decoded.put(pool, new Decoded(family, text, ledger));
        return ledger;
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
     * What a reservation would get from this (cached) pool, without writing anything: the answer to a dry run.
     * Best effort: another writer may take that address before a real request comes.
     */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId) {
        return preview(pool, reservationId, null);
    }

    /** {@link #preview(SpiderIPPool, String)} for exactly {@code address} (when not null). */
    public LedgerOutcome preview(SpiderIPPool pool, String reservationId, IpAddress address) {
        Plan plan = plan(pool, List.of(new Op(true, reservationId, address, address != null,
                new CompletableFuture<>())));
        return plan.outcomes.get(0);
    }

    @PreDestroy
    void stop() {
        workers.shutdown();
    }
}
