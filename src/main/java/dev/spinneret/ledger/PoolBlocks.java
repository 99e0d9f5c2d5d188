package dev.spinneret.ledger;

import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v1alpha1.SpinneretIPBlockSpec;
import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.AddressBlocks;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.jboss.logging.Logger;

/**
 * The pools' ledgers as {@link SpinneretIPBlock}s: an in-memory view per pool (an informer on the blocks plus what
 * this process last wrote; stale only costs a 409), fresh reads and conditional writes. A pool whose
 * {@code status.allocatedIPs} still holds the whole ledger inline (an earlier version's) is read as such until
 * {@link InlineLedgerMigration} has moved it into blocks.
 *
 * <p>Once migrated, {@code status.allocatedIPs} holds {@link #MARKER}, which earlier Spinneret versions refuse to
 * decode: a replica of an earlier version fails its reservations (the denial goes back to the client; controllers
 * retry) instead of allocating from an empty ledger.
 */
@ApplicationScoped
public class PoolBlocks {
    private static final Logger LOG = Logger.getLogger(PoolBlocks.class);
    /** {@code status.allocatedIPs} of a pool whose ledger lives in blocks. */
    public static final String MARKER = "spinneret-blocks/v1";
    /** {@code status.allocatedIPs} prefix while a pool's inline ledger is copied into blocks; the ledger follows. */
    public static final String MIGRATING = MARKER + " migrating ";
    /**
     * {@code status.allocatedIPs} prefix while a pool Spiderpool wrote is imported into blocks; Spiderpool's JSON
     * ledger follows (refused by Spiderpool's agent, which fails instead of allocating from a ledger it cannot read).
     */
    public static final String ADOPTING = MARKER + " adopting ";

    @Inject
    KubernetesClient client;

    private volatile SharedIndexInformer<SpinneretIPBlock> informer;
    private final List<Consumer<String>> changeListeners = new CopyOnWriteArrayList<>();
    /** pool UID → its view. */
    private final Map<String, PoolBlockView> views = new ConcurrentHashMap<>();
    /** Pool UID → SpiderIPPool name, for messages ({@link #heldBy}). */
    private final Map<String, String> poolNames = new ConcurrentHashMap<>();

    /** A pool holding the ledger Spiderpool wrote that may not be adopted now (Spiderpool still runs, dry run). */
    public static final class NotAdoptable extends IllegalStateException {
        NotAdoptable(String message) {
            super(message);
        }
    }

    /** A block write lost to a concurrent writer (or a create to an existing block): the view now has it fresh. */
    public static final class Conflict extends RuntimeException {
        Conflict(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Calls {@code listener} with the pool's name whenever the informer sees one of its blocks added, changed or
     * deleted — whichever replica wrote it (the counts writer recomputes from the view that now includes it).
     */
    public void onChange(Consumer<String> listener) {
        changeListeners.add(listener);
    }

    private void changed(SpinneretIPBlock b) {
        String pool = b.getSpec() == null ? null : b.getSpec().pool;
        if (pool == null) {
            return;
        }
        for (Consumer<String> l : changeListeners) {
            try {
                l.accept(pool);
            } catch (RuntimeException e) {
                LOG.warnf("block change listener failed for SpiderIPPool %s: %s", pool, e.getMessage());
            }
        }
    }

    public synchronized void start() {
        if (informer != null) {
            return;
        }
        informer = ClusterCache.resilient(client.resources(SpinneretIPBlock.class).runnableInformer(0));
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpinneretIPBlock b) {
                seen(b);
                changed(b);
            }

            @Override
            public void onUpdate(SpinneretIPBlock old, SpinneretIPBlock b) {
                seen(b);
                changed(b);
            }

            @Override
            public void onDelete(SpinneretIPBlock b, boolean unknown) {
                PoolBlockView v = b.getSpec() == null ? null : views.get(b.getSpec().poolUID);
                if (v != null) {
                    try {
                        v.remove(IpAddress.parse(v.family, b.getSpec().firstIP));
                    } catch (RuntimeException e) {
                        // not a block we could have read
                    }
                }
                changed(b);
            }
        });
        informer.start();
    }

    private void seen(SpinneretIPBlock b) {
        if (b.getSpec() == null || b.getSpec().poolUID == null) {
            return;
        }
        IpFamily f = Integer.valueOf(6).equals(b.getSpec().ipVersion) ? IpFamily.V6 : IpFamily.V4;
        if (b.getSpec().pool != null) {
            poolNames.put(b.getSpec().poolUID, b.getSpec().pool);
        }
        PoolBlockView v = views.computeIfAbsent(b.getSpec().poolUID, k -> new PoolBlockView(f));
        try {
            v.put(decode(b, v.family), true);
        } catch (RuntimeException e) {
            LOG.warnf("SpinneretIPBlock %s cannot be read (%s); ignored until it changes", b.getMetadata().getName(),
                    e.getMessage());
        }
    }

    public static boolean migrated(SpiderIPPool pool) {
        return pool.getStatus() != null && MARKER.equals(pool.getStatus().allocatedIPs);
    }

    /** The view of {@code pool}'s blocks (possibly stale; empty before anything was seen). */
    public PoolBlockView view(SpiderIPPool pool) {
        poolNames.putIfAbsent(pool.getMetadata().getUid(), pool.getMetadata().getName());
        return views.computeIfAbsent(pool.getMetadata().getUid(), k -> new PoolBlockView(PoolSpec.family(pool)));
    }

    /** Reads every block of {@code pool} from the API server (a list by label) and makes the view equal to it. */
    public PoolBlockView readFresh(SpiderIPPool pool) {
        PoolBlockView v = view(pool);
        List<Block> fresh = new ArrayList<>();
        for (SpinneretIPBlock b : client.resources(SpinneretIPBlock.class)
                .withLabel(SpinneretIPBlock.POOL_UID_LABEL, pool.getMetadata().getUid()).list().getItems()) {
            if (b.getSpec() != null && pool.getMetadata().getUid().equals(b.getSpec().poolUID)) {
                fresh.add(decode(b, v.family));
            }
        }
        v.replaceAll(fresh);
        return v;
    }

    /** Reads one block fresh (absent if not stored) and puts it into the view. */
    public Block readFresh(SpiderIPPool pool, IpAddress first) {
        PoolBlockView v = view(pool);
        String name = name(pool, first);
        SpinneretIPBlock o = client.resources(SpinneretIPBlock.class).withName(name).get();
        if (o == null) {
            v.remove(first);
            return Block.absent(name, first);
        }
        Block b = decode(o, v.family);
        v.put(b, false);
        return b;
    }

    /**
     * The pool's whole ledger, read fresh: its blocks merged, or, for a pool not migrated yet, its inline ledger.
     *
     * @throws IllegalArgumentException when the inline ledger cannot be decoded
     */
    public AllocationLedger assembled(SpiderIPPool pool) {
        String s = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        if (MARKER.equals(s)) {
            return AddressBlocks.merge(PoolSpec.family(pool), readFresh(pool).all().stream().map(Block::ledger).toList());
        }
        return inline(pool);
    }

    /**
     * Reservation id → the pod it is bound to ({@code namespace/name}), over the pool's blocks as last seen (after
     * {@link #assembled}, as just read). Empty for a pool whose ledger is still inline (no bindings).
     */
    public Map<String, String> holders(SpiderIPPool pool) {
        Map<String, String> out = new HashMap<>();
        if (migrated(pool)) {
            for (Block b : view(pool).all()) {
                out.putAll(b.holders());
            }
        }
        return out;
    }

    /**
     * The addresses reservation {@code id} holds while bound to pod {@code holder} ({@code namespace/name}), over
     * every pool's blocks as this process last saw them (the block watch, and its own writes at once): SpiderIPPool
     * name → addresses. For questions the views answer cheaply ("does the ledger hold anything for this pod?").
     */
    public Map<String, List<IpAddress>> heldBy(String id, String holder) {
        Map<String, List<IpAddress>> out = new TreeMap<>();
        views.forEach((poolUid, view) -> {
            for (Block b : view.holding(id)) {
                if (holder.equals(b.holder(id))) {
                    out.computeIfAbsent(poolNames.getOrDefault(poolUid, "uid:" + poolUid), k -> new ArrayList<>())
                            .addAll(b.ledger().addressesOf(id));
                }
            }
        });
        return out;
    }

    /**
     * The inline ledger of a pool not migrated (or being migrated): Spinneret's, or Spiderpool's imported
     * ({@link SpiderpoolLedger}).
     *
     * @throws IllegalArgumentException naming the pool, when it is neither
     */
    public static AllocationLedger inline(SpiderIPPool pool) {
        SpiderpoolLedger adopted = spiderpool(pool);
        if (adopted != null) {
            return adopted.ledger();
        }
        String s = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        if (s != null && s.startsWith(MIGRATING)) {
            s = s.substring(MIGRATING.length());
        }
        return AllocationLedger.decode(PoolSpec.family(pool), s);
    }

    /** Whether the pool still holds a ledger Spiderpool wrote (being imported or not yet). */
    public static boolean spiderpoolWritten(SpiderIPPool pool) {
        String s = pool.getStatus() == null ? null : pool.getStatus().allocatedIPs;
        return s != null && (s.startsWith(ADOPTING) || SpiderpoolLedger.looksLike(s));
    }

    /**
     * The pool's ledger as Spiderpool wrote it, read, or null when it holds no Spiderpool ledger.
     *
     * @throws IllegalArgumentException naming the pool and the record, when that ledger is malformed
     */
    public static SpiderpoolLedger spiderpool(SpiderIPPool pool) {
        if (!spiderpoolWritten(pool)) {
            return null;
        }
        String s = pool.getStatus().allocatedIPs;
        try {
            return SpiderpoolLedger.parse(PoolSpec.family(pool),
                    s.startsWith(ADOPTING) ? s.substring(ADOPTING.length()) : s);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SpiderIPPool " + pool.getMetadata().getName()
                    + ": status.allocatedIPs cannot be adopted: " + e.getMessage()
                    + "; nothing of this pool was changed (correct or remove that record with kubectl edit"
                    + " --subresource=status, then it is adopted)", e);
        }
    }

    /** Block name: the pool's UID and the block's first address in hex ({@link Block#name(String, IpAddress)}). */
    public static String name(SpiderIPPool pool, IpAddress first) {
        return Block.name(pool.getMetadata().getUid(), first);
    }

    /** A stored block, decoded. */
    static Block decode(SpinneretIPBlock o, IpFamily family) {
        var s = o.getSpec();
        return Block.of(o.getMetadata().getName(), o.getMetadata().getResourceVersion(),
                IpAddress.parse(family, s.firstIP), AllocationLedger.decode(family, s.allocatedIPs), s.holders,
                s.withdrawn);
    }

    /**
     * Stores {@code ledger} and {@code marks} as block {@code old} (created when not stored, else updated with its
     * resourceVersion). Returns the block as stored.
     *
     * @throws Conflict when another writer changed (or created) the block first; the view then holds it fresh
     */
    public Block write(SpiderIPPool pool, Block old, AllocationLedger ledger, List<SpinneretIPBlockWithdrawal> marks) {
        return write(pool, old, ledger, marks, Map.of());
    }

    /**
     * As {@link #write(SpiderIPPool, Block, AllocationLedger, List)}, binding the reservations in {@code bind}
     * (id → {@code namespace/pod name}) as well. The stored holders are exactly the ledger's ids: the old block's
     * bindings for ids still in it, and {@code bind}'s, which take precedence (a binding is only ever added to an id
     * that had none or the same one: {@link dev.spinneret.ledger.BlockPlanner} checks).
     */
    public Block write(SpiderIPPool pool, Block old, AllocationLedger ledger, List<SpinneretIPBlockWithdrawal> marks,
            Map<String, String> bind) {
        PoolBlockView v = view(pool);
        TreeMap<String, String> holders = new TreeMap<>();
        for (String id : ledger.reservationIds()) {
            String h = bind.getOrDefault(id, old.holder(id));
            if (h != null) {
                holders.put(id, h);
            }
        }
        SpinneretIPBlock o = new SpinneretIPBlock();
        o.setMetadata(new ObjectMetaBuilder().withName(old.name())
                .withLabels(Map.of(SpinneretIPBlock.POOL_LABEL, pool.getMetadata().getName(),
                        SpinneretIPBlock.POOL_UID_LABEL, pool.getMetadata().getUid()))
                .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(pool.getApiVersion())
                        .withKind(pool.getKind()).withName(pool.getMetadata().getName())
                        .withUid(pool.getMetadata().getUid()).build())
                .withResourceVersion(old.resourceVersion()).build());
        SpinneretIPBlockSpec s = new SpinneretIPBlockSpec();
        s.pool = pool.getMetadata().getName();
        s.poolUID = pool.getMetadata().getUid();
        s.ipVersion = v.family == IpFamily.V6 ? 6 : 4;
        s.firstIP = old.first().toString();
        s.allocatedIPs = ledger.encode();
        s.allocatedIPCount = ledger.size();
        s.holders = holders.isEmpty() ? null : holders;
        s.withdrawn = marks.isEmpty() ? null : marks;
        o.setSpec(s);
        try {
            SpinneretIPBlock written = old.stored() ? client.resource(o).update() : client.resource(o).create();
            Block b = decode(written, v.family);
            v.put(b, false);
            return b;
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409 && !(e.getCode() == 404 && old.stored())) {
                throw e;
            }
            readFresh(pool, old.first()); // 409: changed or created meanwhile; 404 on update: deleted meanwhile
            throw new Conflict("SpinneretIPBlock " + old.name() + " changed under this write");
        }
    }

    @PreDestroy
    void stop() {
        if (informer != null) {
            informer.stop();
        }
    }
}
