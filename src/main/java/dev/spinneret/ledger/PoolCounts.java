package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.ReservedAddresses;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.PoolRestrictions;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * The pools' counts ({@code kubectl get sp} columns: totalIPCount, allocatedIPCount, freeIPCount, restrictedBy,
 * lastAllocatedIP in {@code status}), written only on the replica that holds the Lease {@code spinneret-gc}
 * ({@link #follow}), at most about once a second per pool and only when they differ: they lag the blocks by up to
 * about a second (longer while no replica leads, e.g. the lease's 15 s after a leader dies).
 *
 * <p>Counts follow every block change this replica sees, whoever wrote the block: one replica computing from one
 * view means no two replicas take turns writing counts from views that lag differently, and the others spend nothing
 * on counts. A replica that wrote counts after its own writes only, from a view that lagged, would leave them wrong
 * until the pool's next change.
 */
@ApplicationScoped
public class PoolCounts {
    private static final Logger LOG = Logger.getLogger(PoolCounts.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    PoolBlocks blocks;
    @Inject
    InlineLedgerMigration migration;
    @Inject
    ReservedAddresses reserved;
    @Inject
    AllocationCursors cursors;

    /** Whether this replica keeps the pools' counts (it holds the lease). */
    private volatile boolean following;
    /** Pools whose counts are due to be written (coalesced: one write per pool per second at most). */
    private final Set<String> due = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "pool-counts-writer");
        t.setDaemon(true);
        return t;
    });

    @PostConstruct
    void followBlocks() {
        blocks.onChange(this::due);
    }

    /**
     * Starts or stops following block changes (as this replica gains or loses the lease). On gaining it, every known
     * pool's counts are checked once: changes made while no replica led (a failover) are counted too. A check reads
     * the cached pool and writes only counts that differ.
     */
    public void follow(boolean follow) {
        following = follow;
        if (follow) {
            cache.pools().forEach(p -> due(p.getMetadata().getName()));
        }
    }

    /**
     * After a spec change (or for a pool last written before freeIPCount existed): migrates the pool's ledger into
     * blocks if it is still inline, then has its counts checked. Lease holder only, like every counts write.
     */
    public void refresh(String poolName) {
        SpiderIPPool cached = cache.pool(poolName).orElse(null);
        if (cached == null || !PoolBlocks.migrated(cached)) {
            try {
                migration.migrate(poolName, client.resources(SpiderIPPool.class).withName(poolName).get());
            } catch (RuntimeException e) {
                // e.g. a pool still holding Spiderpool's JSON ledger: its counts wait for a ledger that can be read
                LOG.warnf("SpiderIPPool %s: its ledger cannot be moved into blocks: %s", poolName, e.getMessage());
                return;
            }
        }
        due(poolName);
    }

    /** Schedules a counts check of the pool, on the lease holder only (elsewhere nothing is done). */
    void due(String pool) {
        if (following && due.add(pool)) {
            timer.schedule(() -> {
                due.remove(pool);
                try {
                    write(pool);
                } catch (RuntimeException e) {
                    LOG.warnf("counts of SpiderIPPool %s not written: %s; the next change retries", pool,
                            e.getMessage());
                }
            }, 1, TimeUnit.SECONDS);
        }
    }

    /** Writes the pool's counts from the view of its blocks when they differ (status update, 409 → re-read). */
    void write(String poolName) {
        // every block change schedules a check: read the pool fresh only when the cached copy's counts differ
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
                spec = PoolSpec.handingOut(pool);
            } catch (RuntimeException e) {
                return;
            }
            IpRangeSet handOut = spec.handOut(reserved.of(spec.family()));
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
            IpAddress cursor = cursors.of(pool);
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

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
