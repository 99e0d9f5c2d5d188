package dev.spinneret.ledger;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.SpiderpoolPresence;
import dev.spinneret.pool.Owner;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import org.jboss.logging.Logger;

/**
 * Moves the ledger of a pool written by an earlier version — whole, inline in {@code status.allocatedIPs} — into
 * {@link dev.spinneret.api.v1alpha1.SpinneretIPBlock}s ({@link PoolBlocks}), on the first write that needs it; and
 * the ledger Spiderpool wrote there (its JSON, {@link SpiderpoolLedger}) the same way, once Spiderpool is gone.
 */
@ApplicationScoped
public class InlineLedgerMigration {
    private static final Logger LOG = Logger.getLogger(InlineLedgerMigration.class);

    @Inject
    KubernetesClient client;
    @Inject
    PoolBlocks blocks;
    @Inject
    SpiderpoolPresence spiderpool;
    @Inject
    Events events;

    /**
     * The pool, migrated: its inline ledger (if any) copied into blocks and {@link PoolBlocks#MARKER} in
     * {@code status.allocatedIPs}. Crash-safe and idempotent: the first write replaces the ledger L by
     * {@code MIGRATING + L} (refused by earlier versions), blocks are created from L when absent (every copier copies
     * the same L), and a second write stores the bare marker; each write carries the pool's resourceVersion. Returns
     * null when the pool does not exist.
     *
     * <p>A ledger Spiderpool wrote (its JSON) is adopted the same way: {@code ADOPTING + JSON} first (refused by
     * Spiderpool and by earlier Spinneret versions), then its blocks with each record bound to the pod it names
     * under the reservation derived from the recorded pod UID ({@link SpiderpoolLedger}), then the marker.
     *
     * @throws IllegalArgumentException when the inline ledger is neither Spinneret's nor a well-formed Spiderpool
     *     one (the pool is left as it is)
     * @throws PoolBlocks.NotAdoptable when it is Spiderpool's and may not be adopted now
     *     ({@link SpiderpoolPresence#blocker()})
     */
    public SpiderIPPool migrate(String poolName, SpiderIPPool known) {
        SpiderIPPool pool = known;
        for (int attempt = 1; attempt <= 20; attempt++) {
            if (pool == null) {
                return null;
            }
            if (PoolBlocks.migrated(pool)) {
                return pool;
            }
            SpiderIPPoolStatus st = pool.getStatus() == null ? new SpiderIPPoolStatus() : pool.getStatus();
            SpiderpoolLedger adopted = PoolBlocks.spiderpool(pool); // throws for a malformed one, nothing written
            AllocationLedger inline = adopted != null ? adopted.ledger() : PoolBlocks.inline(pool); // throws if not ours
            if (adopted != null && !st.allocatedIPs.startsWith(PoolBlocks.ADOPTING)) {
                var blocker = spiderpool.blocker();
                if (blocker.isPresent()) {
                    throw new PoolBlocks.NotAdoptable("SpiderIPPool " + poolName + " holds the ledger Spiderpool wrote ("
                            + inline.size() + " allocation(s)); it is not adopted now: " + blocker.get());
                }
            }
            String next;
            if (st.allocatedIPs != null && st.allocatedIPs.startsWith(PoolBlocks.MIGRATING)) {
                copy(pool, inline, Map.of());
                next = PoolBlocks.MARKER;
            } else if (st.allocatedIPs != null && st.allocatedIPs.startsWith(PoolBlocks.ADOPTING)) {
                copy(pool, inline, adopted.holders());
                next = PoolBlocks.MARKER;
            } else if (inline.isEmpty()) {
                next = PoolBlocks.MARKER; // nothing to copy: a new pool gets the marker before its first allocation
            } else {
                next = (adopted != null ? PoolBlocks.ADOPTING : PoolBlocks.MIGRATING) + st.allocatedIPs;
            }
            st.allocatedIPs = next;
            if (st.allocatedIPCount == null) {
                st.allocatedIPCount = (long) inline.size();
            }
            pool.setStatus(st);
            try {
                pool = client.resources(SpiderIPPool.class).resource(pool).updateStatus();
                if (PoolBlocks.MARKER.equals(next)) {
                    LOG.infof("SpiderIPPool %s: ledger of %d allocation(s)%s is kept in SpinneretIPBlocks from now on",
                            poolName, inline.size(), adopted != null ? " (written by Spiderpool, adopted)" : "");
                    if (adopted != null) {
                        events.normal(new Owner(pool.getApiVersion(), pool.getKind(), null, poolName,
                                pool.getMetadata().getUid()), "Adopted", "ledger written by Spiderpool adopted: "
                                + inline.size() + " address(es) of " + adopted.holders().size()
                                + " pod(s), each bound to the pod it names");
                    }
                }
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409 && e.getCode() != 404) {
                    throw e;
                }
                pool = client.resources(SpiderIPPool.class).withName(poolName).get();
            }
        }
        throw new IllegalStateException("SpiderIPPool " + poolName + " kept changing during its migration to blocks");
    }

    /**
     * Creates every block of {@code ledger} that does not exist yet (an existing one was copied from the same L),
     * binding the reservations in {@code bind} (id → pod) that have no binding yet.
     */
    private void copy(SpiderIPPool pool, AllocationLedger ledger, Map<String, String> bind) {
        SortedMap<IpAddress, AllocationLedger> parts = AddressBlocks.split(ledger);
        for (var e : parts.entrySet()) {
            for (int attempt = 1; attempt <= 12; attempt++) {
                Block b = attempt == 1 ? Block.absent(PoolBlocks.name(pool, e.getKey()), e.getKey()) : blocks.readFresh(pool, e.getKey());
                // normally absent, or created by another copier of the same ledger; merging keeps every entry of L
                // even when a block exists for another reason (an entry whose address is held by another id stays
                // with that id; one re-added after a release is an orphan the GC sweep releases)
                AllocationLedger merged = b.ledger();
                Map<String, String> bound = new HashMap<>();
                boolean changed = false;
                for (var entry : e.getValue().asMap().entrySet()) {
                    if (merged.owner(entry.getKey()).isEmpty()) {
                        merged = merged.with(entry.getKey(), entry.getValue());
                        changed = true;
                    }
                    String holder = bind.get(entry.getValue());
                    if (holder != null && b.holder(entry.getValue()) == null
                            && merged.owner(entry.getKey()).map(entry.getValue()::equals).orElse(false)) {
                        bound.put(entry.getValue(), holder);
                        changed = true;
                    }
                }
                if (!changed) {
                    break;
                }
                try {
                    blocks.write(pool, b, merged, b.withdrawn(), bound);
                    break;
                } catch (PoolBlocks.Conflict c) {
                    // created or changed by another writer: read it and merge again
                }
            }
        }
    }
}
