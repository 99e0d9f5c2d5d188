package dev.spinneret.gc;

import static dev.spinneret.gc.ReservationHolders.reservationId;
import static dev.spinneret.gc.ReservationHolders.statefulSetOf;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.GcLease;
import dev.spinneret.ledger.LedgerOutcome;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.PoolLedgerWriter;
import dev.spinneret.pool.Owner;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import org.jboss.logging.Logger;

/**
 * What a pod's coming and going means for the ledger, on the lease holder.
 * <ul>
 * <li>Pod deleted (its object gone from the API server): the addresses its reservation holds <em>bound to that
 * pod</em> (namespace and name, in the ledger) are released from every pool named in its annotation — unless it is
 * a StatefulSet pod whose ordinal is still within the StatefulSet's replicas, whose addresses wait for the next pod
 * of that ordinal. A terminating pod keeps its addresses, also past its grace period (a partitioned node may still
 * run its containers), until its object is gone: the kubelet's confirmation, a forced deletion, or the pod garbage
 * collector once its Node object is deleted. Deleting a pod that carries a copy of another pod's reservation frees
 * nothing.</li>
 * <li>Pod added carrying a reservation the ledger binds to another pod: reported (a Warning Event, a metric).</li>
 * </ul>
 * Releases remove only the addresses held by that reservation id, so they are safe to repeat.
 */
@ApplicationScoped
public class PodReleases {
    private static final Logger LOG = Logger.getLogger(PodReleases.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    GcLease lease;
    @Inject
    PoolLedgerWriter writer;
    @Inject
    PoolBlocks blocks;
    @Inject
    ReservationHolders holders;
    @Inject
    Events events;
    @Inject
    MeterRegistry meters;

    /** Per-pod release work (a GET and the ledger writes): many pods deleted at once are handled side by side. */
    private final ExecutorService releases = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "reservation-release");
        t.setDaemon(true);
        return t;
    });

    void start() {
        cache.onPods(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                if (lease.isLeader()) {
                    onReleaseThreads(() -> reportForeignClaim(pod), "checking the reservation claim of a pod");
                }
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                // a watch DELETED event is also sent for a pod that left the label selection, with the pod's previous
                // content (label included): only an object that was being deleted (deletionTimestamp) is known to be
                // removed; anything else (a selection exit, a forced deletion, a relist) is confirmed with a GET
                boolean removed = !unknown && pod.getMetadata().getDeletionTimestamp() != null;
                releases.execute(() -> releaseIfGone(pod, removed));
            }
        });
    }

    /**
     * A pod that carries a reservation the ledger binds to another pod (a copy of that pod's annotation and label,
     * stored while the pod webhook was not called) gets a Warning Event and is counted: the CNI plugin refuses it
     * (error 103), and nothing it does releases the other pod's addresses. Read from the watched blocks, no request.
     */
    void reportForeignClaim(Pod pod) {
        String id = reservationId(pod);
        if (id == null) {
            return;
        }
        String holder = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        for (String poolName : holders.poolsOf(pod)) {
            SpiderIPPool pool = cache.pool(poolName).orElse(null);
            if (pool == null || !PoolBlocks.migrated(pool)) {
                continue;
            }
            for (var b : blocks.view(pool).holding(id)) {
                String bound = b.holder(id);
                if (bound != null && !bound.equals(holder)) {
                    Counter.builder("spinneret.foreign.claims").register(meters).increment();
                    LOG.warnf("pod %s carries reservation %s, which the ledger of SpiderIPPool %s binds to pod %s:"
                            + " a copied or forged claim; its CNI ADD is refused", holder, id, poolName, bound);
                    events.warning(new Owner("v1", "Pod", pod.getMetadata().getNamespace(),
                            pod.getMetadata().getName(), pod.getMetadata().getUid()), "ForeignReservation",
                            "carries reservation " + id + " of pod " + bound + " (SpiderIPPool " + poolName
                                    + "): it gets no address from it; delete this pod and create it without the"
                                    + " ipam.spidernet.io/reserved-ips annotation and reservation-id label");
                    return;
                }
            }
        }
    }

    /**
     * Releases a deleted pod's reservation — what the ledger binds to this pod's namespace and name — unless its
     * StatefulSet ordinal keeps it. {@code removed}: the pod is known to be gone from the API server (a watch DELETED
     * event for an object that was being deleted), so no GET confirms it.
     */
    void releaseIfGone(Pod pod, boolean removed) {
        if (!lease.isLeader()) {
            return;
        }
        String id = reservationId(pod);
        if (id == null) {
            return;
        }
        try {
            Pod now = removed ? null : client.pods().inNamespace(pod.getMetadata().getNamespace())
                    .withName(pod.getMetadata().getName()).get();
            if (now != null && pod.getMetadata().getUid().equals(now.getMetadata().getUid())) {
                // the informer watches by label, so a pod whose label was stripped (the admission policy refuses
                // that, but it may be bypassed) looks deleted while it still exists and holds its address
                return;
            }
            String sts = statefulSetOf(pod);
            if (sts != null && holders.ordinalStillWanted(pod.getMetadata().getNamespace(), sts,
                    pod.getMetadata().getName())) {
                return;
            }
            // not joined: releases linger in the writer to share block writes, so this thread goes on to the next pod
            String ns = pod.getMetadata().getNamespace();
            String name = pod.getMetadata().getName();
            releaseEverywhere(id, ns + "/" + name, holders.poolsOf(pod)).whenComplete((released, failure) -> {
                // on the ledger writer's thread: what may block goes to the release threads
                if (failure != null) {
                    LOG.warnf("release of reservation %s (pod %s/%s) failed: %s; the next sweep retries", id, ns,
                            name, failure.getMessage());
                    return;
                }
                if (sts != null) {
                    onReleaseThreads(() -> deleteEndpoint(ns, name, id),
                            "SpiderEndpoint " + ns + "/" + name + " of released reservation " + id);
                }
                if (released > 0) {
                    Counter.builder("spinneret.releases").tag("trigger", "pod-deleted")
                            .register(meters).increment(released);
                    LOG.debugf("released reservation %s of pod %s/%s", id, ns, name);
                }
            });
        } catch (RuntimeException e) {
            LOG.warnf("release of reservation %s (pod %s/%s) failed: %s; the next sweep retries", id,
                    pod.getMetadata().getNamespace(), pod.getMetadata().getName(), e.getMessage());
        }
    }

    /** Runs {@code work} on the release threads; a failure is logged, and nothing runs once they are stopped. */
    private void onReleaseThreads(Runnable work, String what) {
        try {
            releases.execute(() -> {
                try {
                    work.run();
                } catch (RuntimeException e) {
                    LOG.warnf("%s: %s; left as it is", what, e.getMessage());
                }
            });
        } catch (RejectedExecutionException stopping) {
            LOG.debugf("%s: not done, shutting down", what);
        }
    }

    /** Releases the reservation from each pool (lingering, see {@link PoolLedgerWriter#releaseLater}): addresses freed. */
    private CompletableFuture<Integer> releaseEverywhere(String id, String holder, Set<String> pools) {
        CompletableFuture<Integer> total = CompletableFuture.completedFuture(0);
        for (String pool : pools) {
            total = total.thenCombine(writer.releaseLater(pool, id, holder),
                    (n, o) -> n + (o instanceof LedgerOutcome.Released r ? r.addresses() : 0));
        }
        return total;
    }

    private void deleteEndpoint(String ns, String name, String id) {
        SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(name).get();
        if (se != null && se.getStatus() != null && se.getStatus().current != null
                && id.equals(se.getStatus().current.reservationID)) {
            client.resource(se).delete();
        }
    }

    @PreDestroy
    void stop() {
        releases.shutdownNow();
    }
}
