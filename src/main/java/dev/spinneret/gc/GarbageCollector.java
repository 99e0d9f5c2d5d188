package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.GcLease;
import dev.spinneret.ledger.PoolCounts;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Gives addresses back and lets pools and subnets go, on the replica that holds the Lease {@code spinneret-gc}
 * ({@link GcLease}): pod-delete releases ({@link PodReleases}), the periodic sweep ({@link OrphanSweep}), pool and
 * subnet finalizers ({@link PoolFinalizers}, {@link SubnetFinalizers}), and the pool counts, which only the lease
 * holder writes ({@link PoolCounts#follow}). This class wires them to the watches, the lease and one thread.
 */
@ApplicationScoped
public class GarbageCollector {
    private static final Logger LOG = Logger.getLogger(GarbageCollector.class);

    @Inject
    ClusterCache cache;
    @Inject
    GcLease lease;
    @Inject
    PoolCounts counts;
    @Inject
    PodReleases podReleases;
    @Inject
    OrphanSweep sweep;
    @Inject
    PoolFinalizers poolFinalizers;
    @Inject
    SubnetFinalizers subnetFinalizers;
    @ConfigProperty(name = "spinneret.gc.interval", defaultValue = "60s")
    Duration interval;

    /** The sweep, pool maintenance and subnet releases: one after the other, never side by side. */
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reservation-reaper");
        t.setDaemon(true);
        return t;
    });

    public void start() {
        sweep.start();
        podReleases.start();
        cache.onPools(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderIPPool pool) {
                timer.execute(() -> maintain(pool));
            }

            @Override
            public void onUpdate(SpiderIPPool oldPool, SpiderIPPool pool) {
                // every ledger write is an update too: only spec changes and deletions need maintenance
                if (!Objects.equals(oldPool.getMetadata().getGeneration(), pool.getMetadata().getGeneration())
                        || pool.isMarkedForDeletion() || pool.getStatus() == null
                        || pool.getStatus().totalIPCount == null) {
                    timer.execute(() -> maintain(pool));
                }
            }

            @Override
            public void onDelete(SpiderIPPool pool, boolean unknown) {
                subnetFinalizers.mayGo(); // the last pool of a deleted subnet's CIDR is gone: it need not wait a sweep
            }
        });
        subnetFinalizers.start(timer);
        lease.start(() -> {
            counts.follow(true);
            timer.execute(this::sweepQuietly);
        }, () -> counts.follow(false));
        timer.scheduleWithFixedDelay(this::sweepQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Keeps a pool's counts in step with its spec, and lets a deleted pool go once nothing is allocated
     * ({@link PoolFinalizers}).
     */
    void maintain(SpiderIPPool cached) {
        if (!lease.isLeader() || cached.getSpec() == null) {
            return;
        }
        try {
            if (poolFinalizers.settle(cached)) {
                return;
            }
            counts.refresh(cached.getMetadata().getName()); // writes only if the counts differ
        } catch (RuntimeException e) {
            LOG.warnf("maintenance of SpiderIPPool %s failed: %s", cached.getMetadata().getName(), e.getMessage());
        }
    }

    private void sweepQuietly() {
        try {
            if (lease.isLeader()) {
                sweep.sweep();
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "garbage-collection sweep failed; retrying in %s", interval);
        }
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }
}
