package dev.spinneret.gc;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.autopool.AutoPoolReconciler;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.Finalizers;
import dev.spinneret.cluster.GcLease;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ledger.Block;
import dev.spinneret.ledger.LedgerOutcome;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.PoolLedgerWriter;
import dev.spinneret.pool.Owner;
import dev.spinneret.pool.StatefulSetOrdinal;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Gives addresses back. Runs on the elected leader only (Lease {@code spinneret-gc}).
 * <ul>
 * <li>Pod deleted (its object gone from the API server): the addresses its reservation holds <em>bound to that
 * pod</em> (namespace and name, in the ledger) are released from every pool named in its annotation — unless it is
 * a StatefulSet pod whose ordinal is still within the StatefulSet's replicas, whose addresses wait for the next pod
 * of that ordinal. A terminating pod keeps its addresses, also past its grace period (a partitioned node may still
 * run its containers), until its object is gone: the kubelet's confirmation, a forced deletion, or the pod garbage
 * collector once its Node object is deleted. Deleting a pod that carries a copy of another pod's reservation frees
 * nothing.</li>
 * <li>A sweep at start-up and every {@code spinneret.gc.interval} reconciles each pool's ledger against pods and
 * StatefulSet endpoints by the ledger's binding: a reservation is held while the pod it is bound to exists (whatever
 * its labels say; a pod of that name carrying another reservation is another incarnation) or its StatefulSet
 * ordinal is wanted. A reservation nobody holds (its pod was never stored because a later webhook denied it, or this
 * process died) is released once it has been orphaned for {@code spinneret.gc.orphan-ttl} and a fresh read from the
 * API server confirms it. An entry an earlier version wrote, bound to no pod, is bound by the sweep to the pod that
 * carries its reservation (the earliest created, if a copy exists).</li>
 * </ul>
 * Releases remove only the addresses held by that reservation id, so they are safe to repeat.
 */
@ApplicationScoped
public class ReservationReaper {
    private static final Logger LOG = Logger.getLogger(ReservationReaper.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    GcLease lease;
    @Inject
    AdmissionGate gate;
    @Inject
    PoolLedgerWriter writer;
    @Inject
    PoolBlocks blocks;
    @Inject
    Events events;
    @Inject
    MeterRegistry meters;
    @Inject
    ObjectMapper mapper;
    @Inject
    AutoPoolReconciler autoPools;
    @ConfigProperty(name = "spinneret.gc.interval", defaultValue = "60s")
    Duration interval;
    @ConfigProperty(name = "spinneret.gc.orphan-ttl", defaultValue = "60s")
    Duration orphanTtl;

    private final Map<String, Instant> orphanSince = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reservation-reaper");
        t.setDaemon(true);
        return t;
    });
    private volatile SharedIndexInformer<SpiderSubnet> subnets;
    /** Per-pod release work (a GET and the ledger writes): many pods deleted at once are handled side by side. */
    private final java.util.concurrent.ExecutorService releases = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "reservation-release");
        t.setDaemon(true);
        return t;
    });
    private MultiGauge totals;
    private MultiGauge allocated;

    public void start() {
        totals = MultiGauge.builder("spinneret.pool.total").description("usable addresses per pool").register(meters);
        allocated = MultiGauge.builder("spinneret.pool.allocated").description("allocated addresses per pool")
                .register(meters);
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
        cache.onPools(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderIPPool pool) {
                timer.execute(() -> maintain(pool));
            }

            @Override
            public void onUpdate(SpiderIPPool oldPool, SpiderIPPool pool) {
                // every ledger write is an update too: only spec changes and deletions need maintenance
                if (!java.util.Objects.equals(oldPool.getMetadata().getGeneration(), pool.getMetadata().getGeneration())
                        || pool.isMarkedForDeletion() || pool.getStatus() == null
                        || pool.getStatus().totalIPCount == null) {
                    timer.execute(() -> maintain(pool));
                }
            }

            @Override
            public void onDelete(SpiderIPPool pool, boolean unknown) {
                subnetsMayGo(); // the last pool of a deleted subnet's CIDR is gone: the subnet need not wait a sweep
            }
        });
        // subnets being deleted: a small watch of their own (JOSDK hands deleted objects only to finalizing reconcilers)
        subnets = ClusterCache.resilient(client.resources(SpiderSubnet.class).runnableInformer(0));
        subnets.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderSubnet s) {
                onUpdate(null, s);
            }

            @Override
            public void onUpdate(SpiderSubnet old, SpiderSubnet s) {
                if (s.isMarkedForDeletion()) {
                    subnetsMayGo();
                }
            }

            @Override
            public void onDelete(SpiderSubnet s, boolean unknown) {
            }
        });
        subnets.start();
        lease.start(() -> {
            writer.followCounts(true);
            timer.execute(this::sweepQuietly);
        }, () -> writer.followCounts(false));
        timer.scheduleWithFixedDelay(this::sweepQuietly, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
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
        for (String poolName : poolsOf(pod)) {
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
            if (sts != null && ordinalStillWanted(pod.getMetadata().getNamespace(), sts, pod.getMetadata().getName())) {
                return;
            }
            // not joined: releases linger in the writer to share block writes, so this thread goes on to the next pod
            String ns = pod.getMetadata().getNamespace();
            String name = pod.getMetadata().getName();
            releaseEverywhere(id, ns + "/" + name, poolsOf(pod)).whenComplete((released, failure) -> {
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

    /**
     * Keeps a pool's counts in step with its spec, and lets a deleted pool go once nothing is allocated: Spinneret's
     * finalizer (or the legacy one) is removed only when every block of its ledger is empty (read fresh) (allocation refuses a pool that is being
     * deleted, so the ledger can only shrink by then). A live pool's legacy finalizer is replaced in one write.
     */
    void maintain(SpiderIPPool cached) {
        if (!lease.isLeader() || cached.getSpec() == null) {
            return;
        }
        try {
            if (finalizers(cached)) {
                return;
            }
            writer.refreshCounts(cached.getMetadata().getName()); // writes only if the counts differ
        } catch (RuntimeException e) {
            LOG.warnf("maintenance of SpiderIPPool %s failed: %s", cached.getMetadata().getName(), e.getMessage());
        }
    }

    /**
     * The pool's finalizers as they should be: released once it is deleted and empty, migrated from the legacy name
     * while it lives. Returns true when the pool is being deleted (nothing else to maintain).
     */
    private boolean finalizers(SpiderIPPool pool) {
        String name = pool.getMetadata().getName();
        List<String> have = pool.getMetadata().getFinalizers();
        if (pool.isMarkedForDeletion()) {
            if (Finalizers.held(have, SpiderApi.POOL_FINALIZER) && empty(pool)) {
                gate.forget("SpiderIPPool", name, pool.getMetadata().getUid()); // stored and going: no claim needed
                if (setFinalizers(SpiderIPPool.class, name, pool.getMetadata().getUid(), true, this::empty,
                        f -> Finalizers.released(f, SpiderApi.POOL_FINALIZER))) {
                    LOG.infof("SpiderIPPool %s is empty: finalizer removed, deletion proceeds", name);
                }
            }
            return true;
        }
        if (Finalizers.legacy(have) && setFinalizers(SpiderIPPool.class, name, pool.getMetadata().getUid(), false,
                fresh -> true, f -> Finalizers.migrated(f, SpiderApi.POOL_FINALIZER))) {
            LOG.infof("SpiderIPPool %s: legacy finalizer %s replaced by %s", name, SpiderApi.LEGACY_FINALIZER,
                    SpiderApi.POOL_FINALIZER);
        }
        return false;
    }

    /**
     * Whether nothing is allocated in the pool: every block empty (a fresh list; withdrawal marks are not
     * allocations), or for a pool not migrated to blocks, its inline ledger. A writer that allocates after this read
     * sees the deletion in its read of the pool after its write and takes the allocation back.
     */
    private boolean empty(SpiderIPPool pool) {
        if (PoolBlocks.migrated(pool)) {
            return blocks.readFresh(pool).all().stream().allMatch(b -> b.ledger().isEmpty());
        }
        String s = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        return s == null || s.isEmpty();
    }

    /**
     * Rewrites the finalizers of a fresh read of the object, conditionally on its resourceVersion (a concurrent change
     * means a re-read and another try). Acts only on the same incarnation ({@code uid}) in the same deletion state:
     * a legacy finalizer is migrated only while the object lives (none may be added once it is being deleted), and
     * finalizers are released only from an object being deleted; {@code still} re-checks the reason on the fresh
     * read (a pool's ledger is still empty). Returns whether it wrote.
     */
    private <T extends io.fabric8.kubernetes.client.CustomResource<?, ?>> boolean setFinalizers(Class<T> type,
            String name, String uid, boolean deleting, java.util.function.Predicate<T> still,
            java.util.function.UnaryOperator<List<String>> change) {
        for (int attempt = 1; attempt <= 5; attempt++) {
            T fresh = client.resources(type).withName(name).get();
            if (fresh == null || !fresh.getMetadata().getUid().equals(uid) || fresh.isMarkedForDeletion() != deleting
                    || !still.test(fresh)) {
                return false;
            }
            List<String> have = fresh.getMetadata().getFinalizers() == null ? List.of()
                    : fresh.getMetadata().getFinalizers();
            List<String> want = change.apply(have);
            if (want.equals(have)) {
                return false;
            }
            fresh.getMetadata().setFinalizers(want);
            try {
                client.resource(fresh).update(); // carries the resourceVersion just read
                return true;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        return false;
    }

    /**
     * A subnet was marked for deletion or a pool went: lets deleted subnets without pools go now instead of at the
     * next sweep (so {@code kubectl delete ss} returns at once). Leader only, on the reaper's thread.
     */
    private void subnetsMayGo() {
        if (!lease.isLeader()) {
            return;
        }
        timer.execute(() -> {
            try {
                releaseEmptySubnets();
            } catch (RuntimeException e) {
                LOG.warnf("releasing deleted subnets failed: %s; the next sweep retries", e.getMessage());
            }
        });
    }

    private void sweepQuietly() {
        try {
            if (lease.isLeader()) {
                sweep();
            }
        } catch (RuntimeException e) {
            LOG.warnf(e, "garbage-collection sweep failed; retrying in %s", interval);
        }
    }

    /** One pass over every pool's ledger. */
    public void sweep() {
        List<MultiGauge.Row<?>> totalRows = new ArrayList<>();
        List<MultiGauge.Row<?>> allocRows = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        Map<String, GenericKubernetesResource> workloads = new HashMap<>(); // automatic pools' owners, read once
        for (SpiderIPPool cached : cache.pools()) {
            String name = cached.getMetadata().getName();
            SpiderIPPool pool = client.resources(SpiderIPPool.class).withName(name).get();
            if (pool == null || pool.getSpec() == null || pool.getSpec().ipVersion == null) {
                continue;
            }
            if (!finalizers(pool) && (pool.getStatus() == null || pool.getStatus().freeIPCount == null)) {
                writer.refreshCounts(name); // a pool last written before freeIPCount existed
            }
            long total = pool.getStatus() == null || pool.getStatus().totalIPCount == null ? 0
                    : pool.getStatus().totalIPCount;
            AllocationLedger ledger;
            Map<String, String> holders;
            try {
                ledger = blocks.assembled(pool); // its blocks, read fresh (or the inline ledger of an earlier version)
                holders = blocks.holders(pool); // from that read
                dropStaleMarks(pool);
            } catch (RuntimeException e) {
                // e.g. a pool still holding Spiderpool's JSON ledger during a migration: skip it, sweep the rest
                LOG.warnf("SpiderIPPool %s: its ledger cannot be read (%s); not swept", name,
                        e.getMessage());
                continue;
            }
            autoPools.reconcile(pool, ledger, workloads); // shrink or reclaim, from the read just made
            totalRows.add(MultiGauge.Row.of(Tags.of("pool", name), total));
            allocRows.add(MultiGauge.Row.of(Tags.of("pool", name), ledger.size()));
            for (String id : ledger.reservationIds()) {
                String key = name + "/" + id;
                seen.add(key);
                String holder = holders.get(id);
                if (holder == null && PoolBlocks.migrated(pool)) {
                    holder = bindUnbound(name, id); // an earlier version's entry
                }
                if (holder != null ? heldInCache(id, holder) : heldInCache(id)) {
                    orphanSince.remove(key);
                    continue;
                }
                Instant since = orphanSince.computeIfAbsent(key, k -> Instant.now());
                if (Duration.between(since, Instant.now()).compareTo(orphanTtl) < 0) {
                    continue;
                }
                if (holder != null ? heldFresh(id, holder) : heldFresh(id)) {
                    orphanSince.remove(key);
                    continue;
                }
                LedgerOutcome o = writer.release(name, id, holder).join();
                orphanSince.remove(key);
                int n = o instanceof LedgerOutcome.Released r ? r.addresses() : 0;
                if (n > 0) {
                    Counter.builder("spinneret.releases").tag("trigger", "gc-orphan").register(meters).increment(n);
                    LOG.infof("released %d address(es) of orphaned reservation %s from SpiderIPPool %s (no pod or"
                            + " StatefulSet endpoint has held it for %s)", n, id, name, orphanTtl);
                }
            }
        }
        orphanSince.keySet().retainAll(seen);
        releaseEmptySubnets();
        totals.register(totalRows, true);
        allocated.register(allocRows, true);
    }

    /** Removes withdrawal marks past their time from the pool's blocks (as just read); a conflict waits a sweep. */
    private void dropStaleMarks(SpiderIPPool pool) {
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

    /**
     * A SpiderSubnet being deleted keeps its finalizer while any SpiderIPPool of its CIDR exists (their addresses
     * are handed out from it); once none is left the finalizer is removed and the deletion completes. A live subnet's
     * legacy finalizer is replaced in one write.
     */
    void releaseEmptySubnets() {
        for (SpiderSubnet subnet : client.resources(SpiderSubnet.class).list().getItems()) {
            String name = subnet.getMetadata().getName();
            String uid = subnet.getMetadata().getUid();
            List<String> have = subnet.getMetadata().getFinalizers();
            if (!subnet.isMarkedForDeletion()) {
                if (Finalizers.legacy(have) && setFinalizers(SpiderSubnet.class, name, uid, false, fresh -> true,
                        f -> Finalizers.migrated(f, SpiderApi.SUBNET_FINALIZER))) {
                    LOG.infof("SpiderSubnet %s: legacy finalizer %s replaced by %s", name,
                            SpiderApi.LEGACY_FINALIZER, SpiderApi.SUBNET_FINALIZER);
                }
                continue;
            }
            if (!Finalizers.held(have, SpiderApi.SUBNET_FINALIZER)) {
                continue;
            }
            String cidr = subnet.getSpec() == null ? null : subnet.getSpec().subnet;
            boolean inUse = client.resources(SpiderIPPool.class).list().getItems().stream()
                    .anyMatch(p -> p.getSpec() != null && java.util.Objects.equals(cidr, p.getSpec().subnet));
            if (inUse) {
                continue;
            }
            gate.forget("SpiderSubnet", name, uid);
            if (setFinalizers(SpiderSubnet.class, name, uid, true, fresh -> true,
                    f -> Finalizers.released(f, SpiderApi.SUBNET_FINALIZER))) {
                LOG.infof("SpiderSubnet %s has no pools left: finalizer removed, deletion proceeds", name);
            }
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
        if (tie) {
            return null;
        }
        if (first == null || !poolsOf(first).contains(pool)) {
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

    /**
     * Whether the pod {@code holder} ({@code namespace/name}) that reservation {@code id} is bound to still holds it:
     * it exists and carries that reservation or none (a pod whose label was stripped; a pod of that name carrying
     * another reservation is a later incarnation), or its StatefulSet ordinal keeps it.
     */
    private boolean heldInCache(String id, String holder) {
        int slash = holder.indexOf('/');
        String ns = holder.substring(0, slash);
        String name = holder.substring(slash + 1);
        Pod p = cache.pod(ns, name).orElse(null);
        if (p != null && sameReservation(p, id)) {
            return true;
        }
        SpiderEndpoint se = cache.endpoint(ns, name).orElse(null);
        return se != null && endpointOf(se, id) && endpointKept(se);
    }

    private boolean heldFresh(String id, String holder) {
        int slash = holder.indexOf('/');
        String ns = holder.substring(0, slash);
        String name = holder.substring(slash + 1);
        Pod p = client.pods().inNamespace(ns).withName(name).get();
        if (p != null && sameReservation(p, id)) {
            return true;
        }
        SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(name).get();
        return se != null && endpointOf(se, id) && endpointKept(se);
    }

    private static boolean sameReservation(Pod p, String id) {
        String carried = reservationId(p);
        return carried == null || carried.equals(id);
    }

    private static boolean endpointOf(SpiderEndpoint se, String id) {
        return se.getStatus() != null && se.getStatus().current != null
                && id.equals(se.getStatus().current.reservationID);
    }

    /** An earlier version's entry, bound to no pod: held while a pod carries its reservation (labels). */
    private boolean heldInCache(String id) {
        if (!cache.podsWithReservation(id).isEmpty()) {
            return true;
        }
        for (SpiderEndpoint se : cache.endpointsWithReservation(id)) {
            if (endpointKept(se)) {
                return true;
            }
        }
        return false;
    }

    private boolean heldFresh(String id) {
        if (!client.pods().inAnyNamespace().withLabel(IpamAnnotations.RESERVATION_LABEL, id).list().getItems()
                .isEmpty()) {
            return true;
        }
        for (SpiderEndpoint se : client.resources(SpiderEndpoint.class).inAnyNamespace()
                .withLabel(IpamAnnotations.RESERVATION_LABEL, id).list().getItems()) {
            if (endpointKept(se)) {
                return true;
            }
        }
        return false;
    }

    private boolean endpointKept(SpiderEndpoint se) {
        if (se.getStatus() == null || !"StatefulSet".equals(se.getStatus().ownerControllerType)) {
            return false;
        }
        return ordinalStillWanted(se.getMetadata().getNamespace(), se.getStatus().ownerControllerName,
                se.getMetadata().getName());
    }

    private boolean ordinalStillWanted(String ns, String stsName, String podName) {
        int ordinal = StatefulSetOrdinal.of(stsName, podName); // strict: web-01 is no pod of web
        if (ordinal < 0) {
            return false;
        }
        StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(stsName).get();
        if (sts == null || sts.getMetadata().getDeletionTimestamp() != null) {
            return false;
        }
        int start = sts.getSpec().getOrdinals() == null || sts.getSpec().getOrdinals().getStart() == null ? 0
                : sts.getSpec().getOrdinals().getStart();
        int replicas = sts.getSpec().getReplicas() == null ? 1 : sts.getSpec().getReplicas();
        return ordinal >= start && ordinal < (long) start + replicas;
    }

    private static String statefulSetOf(Pod p) {
        if (p.getMetadata().getOwnerReferences() == null) {
            return null;
        }
        for (OwnerReference r : p.getMetadata().getOwnerReferences()) {
            if (Boolean.TRUE.equals(r.getController()) && "StatefulSet".equals(r.getKind())) {
                return r.getName();
            }
        }
        return null;
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

    private static String reservationId(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? null : labels.get(IpamAnnotations.RESERVATION_LABEL);
    }

    private Set<String> poolsOf(Pod pod) {
        Set<String> pools = new HashSet<>();
        Map<String, String> a = pod.getMetadata().getAnnotations();
        String json = a == null ? null : a.get(IpamAnnotations.RESERVED_IPS);
        if (json == null) {
            return pools;
        }
        try {
            for (JsonNode i : mapper.readTree(json).path("interfaces")) {
                if (i.hasNonNull("ipv4Pool")) {
                    pools.add(i.get("ipv4Pool").asText());
                }
                if (i.hasNonNull("ipv6Pool")) {
                    pools.add(i.get("ipv6Pool").asText());
                }
            }
        } catch (Exception e) {
            LOG.warnf("pod %s/%s has an unreadable %s annotation", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), IpamAnnotations.RESERVED_IPS);
        }
        return pools;
    }

    @PreDestroy
    void stop() {
        if (subnets != null) {
            subnets.stop();
        }
        timer.shutdownNow();
        releases.shutdownNow();
    }
}
