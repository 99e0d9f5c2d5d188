package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.autopool.AutoPoolReconciler;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ledger.LedgerOutcome;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.PoolCounts;
import dev.spinneret.ledger.PoolLedgerWriter;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The sweep, at start-up and every {@code spinneret.gc.interval} on the lease holder: each pool's ledger (read
 * fresh) against pods and StatefulSet endpoints by the ledger's binding. A reservation is held while the pod it is
 * bound to exists (whatever its labels say; a pod of that name carrying another reservation is another
 * incarnation) or its StatefulSet ordinal is wanted. A reservation nobody holds (its pod was never stored because a
 * later webhook denied it, or this process died) is released once it has been orphaned for
 * {@code spinneret.gc.orphan-ttl} and a fresh read from the API server confirms it ({@link OrphanTracker}). An entry
 * an earlier version wrote, bound to no pod, is bound to the pod that carries its reservation (the earliest created,
 * if a copy exists). Along the way: each pool's finalizers, counts, stale withdrawal marks and (automatic pools)
 * size, the pool gauges, and deleted subnets without pools.
 */
@ApplicationScoped
public class OrphanSweep {
    private static final Logger LOG = Logger.getLogger(OrphanSweep.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    PoolLedgerWriter writer;
    @Inject
    PoolBlocks blocks;
    @Inject
    PoolCounts counts;
    @Inject
    ReservationHolders holders;
    @Inject
    PoolFinalizers poolFinalizers;
    @Inject
    SubnetFinalizers subnetFinalizers;
    @Inject
    StaleMarks staleMarks;
    @Inject
    AutoPoolReconciler autoPools;
    @Inject
    MeterRegistry meters;
    @ConfigProperty(name = "spinneret.gc.orphan-ttl", defaultValue = "60s")
    Duration orphanTtl;

    private OrphanTracker orphans;
    private MultiGauge totals;
    private MultiGauge allocated;

    void start() {
        orphans = new OrphanTracker(orphanTtl);
        totals = MultiGauge.builder("spinneret.pool.total").description("usable addresses per pool").register(meters);
        allocated = MultiGauge.builder("spinneret.pool.allocated").description("allocated addresses per pool")
                .register(meters);
    }

    /** One pass over every pool's ledger (on the garbage collector's thread). */
    void sweep() {
        List<MultiGauge.Row<?>> totalRows = new ArrayList<>();
        List<MultiGauge.Row<?>> allocRows = new ArrayList<>();
        Map<String, GenericKubernetesResource> workloads = new HashMap<>(); // automatic pools' owners, read once
        orphans.beginSweep();
        for (SpiderIPPool cached : cache.pools()) {
            String name = cached.getMetadata().getName();
            SpiderIPPool pool = client.resources(SpiderIPPool.class).withName(name).get();
            if (pool == null || pool.getSpec() == null || pool.getSpec().ipVersion == null) {
                continue;
            }
            if (!poolFinalizers.settle(pool) && (pool.getStatus() == null || pool.getStatus().freeIPCount == null)) {
                counts.refresh(name); // a pool last written before freeIPCount existed
            }
            long total = pool.getStatus() == null || pool.getStatus().totalIPCount == null ? 0
                    : pool.getStatus().totalIPCount;
            if (PoolBlocks.spiderpoolWritten(pool)) {
                // Spiderpool's ledger, not adopted yet: its records name pods but bind none (SpiderpoolAdoption)
                continue;
            }
            AllocationLedger ledger;
            Map<String, String> bound;
            try {
                ledger = blocks.assembled(pool); // its blocks, read fresh (or the inline ledger of an earlier version)
                bound = blocks.holders(pool); // from that read
                staleMarks.drop(pool);
            } catch (RuntimeException e) {
                // e.g. a damaged inline ledger: skip it, sweep the rest
                LOG.warnf("SpiderIPPool %s: its ledger cannot be read (%s); not swept", name, e.getMessage());
                continue;
            }
            autoPools.reconcile(pool, ledger, workloads); // shrink or reclaim, from the read just made
            totalRows.add(MultiGauge.Row.of(Tags.of("pool", name), total));
            allocRows.add(MultiGauge.Row.of(Tags.of("pool", name), ledger.size()));
            for (String id : ledger.reservationIds()) {
                String holder = bound.get(id);
                if (holder == null && PoolBlocks.migrated(pool)) {
                    holder = bindUnbound(name, id); // an earlier version's entry
                }
                String h = holder;
                String key = name + "/" + id;
                OrphanTracker.Verdict v = orphans.check(key, h != null ? holders.heldInCache(id, h)
                        : holders.heldInCache(id), () -> h != null ? holders.heldFresh(id, h)
                                : holders.heldFresh(id), Instant.now());
                if (v == OrphanTracker.Verdict.ORPHANED) {
                    release(name, id, holder);
                    orphans.released(key);
                }
            }
        }
        orphans.endSweep();
        subnetFinalizers.releaseEmpty();
        totals.register(totalRows, true);
        allocated.register(allocRows, true);
    }

    private void release(String pool, String id, String holder) {
        LedgerOutcome o = writer.release(pool, id, holder).join();
        int n = o instanceof LedgerOutcome.Released r ? r.addresses() : 0;
        if (n > 0) {
            Counter.builder("spinneret.releases").tag("trigger", "gc-orphan").register(meters).increment(n);
            LOG.infof("released %d address(es) of orphaned reservation %s from SpiderIPPool %s (no pod or"
                    + " StatefulSet endpoint has held it for %s)", n, id, pool, orphanTtl);
        }
    }

    /**
     * Binds an entry an earlier version wrote (no holder) to the pod that carries its reservation — the earliest
     * created, since a copy can only be made of a pod that exists — by a reservation of that id for that pod, which
     * only adds the binding. Two carriers created in the same second (timestamps have one-second resolution) bind
     * neither: the entry stays unbound (held while a pod carries it, its ADD answering 11) for an administrator to
     * resolve by deleting the copy. Returns the holder, or null when none is bound.
     */
    private String bindUnbound(String pool, String id) {
        Pod first = null;
        boolean tie = false;
        for (Pod p : client.pods().inAnyNamespace().withLabel(IpamAnnotations.RESERVATION_LABEL, id).list()
                .getItems()) {
            int c = first == null ? -1 : p.getMetadata().getCreationTimestamp().compareTo(
                    first.getMetadata().getCreationTimestamp());
            if (c < 0) {
                first = p;
                tie = false;
            } else if (c == 0) {
                tie = true; // created in the same second (RFC 3339 timestamps): which one is the copy cannot be told
            }
        }
        if (tie || first == null || !holders.poolsOf(first).contains(pool)) {
            return null;
        }
        String holder = first.getMetadata().getNamespace() + "/" + first.getMetadata().getName();
        try {
            LedgerOutcome o = writer.reserve(pool, id, holder, null).join();
            if (o instanceof LedgerOutcome.Reserved) {
                LOG.infof("SpiderIPPool %s: reservation %s (written by an earlier version) bound to pod %s", pool, id,
                        holder);
                return holder;
            }
        } catch (RuntimeException e) {
            LOG.warnf("SpiderIPPool %s: could not bind reservation %s to pod %s: %s", pool, id, holder,
                    e.getMessage());
        }
        return null;
    }
}
