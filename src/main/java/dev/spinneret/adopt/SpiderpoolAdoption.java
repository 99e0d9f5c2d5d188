package dev.spinneret.adopt;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.GcLease;
import dev.spinneret.cluster.SpiderpoolPresence;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ledger.InlineLedgerMigration;
import dev.spinneret.ledger.LedgerClaims;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.ledger.SpiderpoolLedger;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Takes over what a stopped Spiderpool left (docs/migrate-from-spiderpool.md): the pools' JSON ledgers (imported
 * into blocks by {@link InlineLedgerMigration#migrate}, each record bound to the pod it names under the reservation derived
 * from the recorded pod UID), the SpiderEndpoints (given that reservation; a StatefulSet's endpoint becomes owned
 * by its StatefulSet, which is how Spinneret keeps a StatefulSet pod's addresses; Spiderpool's finalizer, which
 * nothing would remove any more, is dropped), and the running pods: {@link #reservationOf(Pod)} gives the
 * annotation a running Spiderpool pod gets instead of a new reservation, only when the ledger holds each address
 * its endpoint names for the reservation of <em>that pod's UID</em>.
 *
 * <p>A record whose pod no longer exists, or exists with another UID (a later pod of the same name), is imported
 * too (its address stays taken, nothing is handed out twice) but reaches no pod: its reservation is not the new
 * pod's, so the garbage-collection sweep releases it once it is orphaned — unless the SpiderEndpoint of a StatefulSet
 * pod whose ordinal is still wanted holds it, in which case the next pod of that ordinal gets it back.
 */
@ApplicationScoped
public class SpiderpoolAdoption {
    private static final Logger LOG = Logger.getLogger(SpiderpoolAdoption.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    InlineLedgerMigration migration;
    @Inject
    LedgerClaims claims;
    @Inject
    PoolBlocks blocks;
    @Inject
    SpiderpoolPresence spiderpool;
    @Inject
    Events events;
    @Inject
    ObjectMapper mapper;
    @Inject
    GcLease lease;
    @ConfigProperty(name = "spinneret.adopt.interval", defaultValue = "15s")
    Duration interval;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "spiderpool-adoption");
        t.setDaemon(true);
        return t;
    });

    private boolean started;
    /** Pool name → the last report (event) made for it, so that a pass repeats none. */
    private final Map<String, String> reported = new ConcurrentHashMap<>();

    /** The running pod's adopted reservation: its id and the annotation value. */
    public record Adopted(String id, String annotation) {
    }

    /** A Spiderpool pod whose addresses cannot be confirmed yet (its pool not adopted, or a record disagrees). */
    public static final class Pending extends RuntimeException {
        public Pending(String message) {
            super(message, null, false, false);
        }
    }

    /** Runs {@link #pass()} on the garbage-collection leader at start-up and every {@code spinneret.adopt.interval}. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        timer.scheduleWithFixedDelay(() -> {
            try {
                if (lease.isLeader()) {
                    pass();
                }
            } catch (RuntimeException e) {
                LOG.warnf("adoption of what Spiderpool left failed: %s; retried in %s", e.getMessage(), interval);
            }
        }, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    @PreDestroy
    void stop() {
        timer.shutdownNow();
    }

    /**
     * One pass: every pool still holding Spiderpool's ledger is adopted (or, in dry-run mode or while Spiderpool
     * runs, reported), then every SpiderEndpoint Spiderpool wrote is taken over. Safe to repeat and to run on two
     * replicas at once. Returns the number of pools still holding a Spiderpool ledger.
     */
    public int pass() {
        int left = 0;
        for (SpiderIPPool cached : cache.pools()) {
            if (!PoolBlocks.spiderpoolWritten(cached)) {
                continue;
            }
            String name = cached.getMetadata().getName();
            SpiderIPPool pool = client.resources(SpiderIPPool.class).withName(name).get();
            if (pool == null || !PoolBlocks.spiderpoolWritten(pool)) {
                continue;
            }
            try {
                SpiderpoolLedger ledger = PoolBlocks.spiderpool(pool); // malformed: throws, nothing written
                if (spiderpool.dryRun()) {
                    left++;
                    report(pool, false, "AdoptionDryRun", "would adopt " + describe(ledger));
                    continue;
                }
                migration.migrate(name, pool); // records the Event Adopted
                reported.remove(name);
            } catch (PoolBlocks.NotAdoptable e) {
                left++;
                report(pool, true, "AdoptionWaiting", e.getMessage());
            } catch (IllegalArgumentException e) {
                left++;
                report(pool, true, "AdoptionFailed", e.getMessage());
            }
        }
        // (the check for a running Spiderpool is a LIST: made only while something is left to take over)
        if (cache.endpoints().stream().anyMatch(SpiderpoolAdoption::spiderpoolWritten)
                && spiderpool.blocker().isEmpty()) {
            takeOverEndpoints();
        }
        return left;
    }

    private void report(SpiderIPPool pool, boolean warning, String reason, String message) {
        String name = pool.getMetadata().getName();
        if (message.equals(reported.put(name, message))) {
            return;
        }
        if (warning) {
            LOG.warnf("%s", message);
            events.warning(poolRef(pool), reason, message);
        } else {
            LOG.infof("SpiderIPPool %s: %s", name, message);
            events.normal(poolRef(pool), reason, message);
        }
    }

    private static String describe(SpiderpoolLedger ledger) {
        Map<String, List<String>> byPod = new LinkedHashMap<>();
        for (SpiderpoolLedger.Entry e : ledger.entries()) {
            byPod.computeIfAbsent(e.holder() + " (UID " + e.podUid() + ")", k -> new ArrayList<>())
                    .add(e.address().toString());
        }
        StringBuilder sb = new StringBuilder().append(ledger.entries().size()).append(" address(es) of ")
                .append(byPod.size()).append(" pod(s)");
        int shown = 0;
        for (var e : byPod.entrySet()) {
            if (shown++ == 20) {
                sb.append("; ...");
                break;
            }
            sb.append(shown == 1 ? ": " : "; ").append(e.getKey()).append(' ').append(String.join(",", e.getValue()));
        }
        return sb.toString();
    }

    /** Gives every endpoint Spiderpool wrote (a pod UID, no reservation) the reservation its records were imported to. */
    void takeOverEndpoints() {
        for (SpiderEndpoint cached : cache.endpoints()) {
            if (spiderpoolWritten(cached)) {
                takeOverEndpoint(cached.getMetadata().getNamespace(), cached.getMetadata().getName());
            }
        }
    }

    /**
     * Takes over the endpoint {@code ns/name} if Spiderpool wrote it: the reservation of its pod UID (status and
     * label), Spiderpool's finalizer removed, a StatefulSet pod's endpoint owned by its StatefulSet. A conflict or a
     * missing endpoint leaves it to the next pass.
     */
    public void takeOverEndpoint(String ns, String name) {
        try {
            SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(name).get();
            if (se == null || !spiderpoolWritten(se)) {
                return;
            }
            String id = SpiderpoolLedger.reservationId(se.getStatus().current.uid);
            se.getStatus().current.reservationID = id;
            Map<String, String> labels = se.getMetadata().getLabels() == null ? new HashMap<>()
                    : new HashMap<>(se.getMetadata().getLabels());
            labels.put(IpamAnnotations.RESERVATION_LABEL, id);
            se.getMetadata().setLabels(labels);
            if (se.getMetadata().getFinalizers() != null) {
                se.getMetadata().setFinalizers(se.getMetadata().getFinalizers().stream()
                        .filter(f -> !SpiderApi.LEGACY_FINALIZER.equals(f)).toList());
            }
            if ("StatefulSet".equals(se.getStatus().ownerControllerType) && se.getStatus().ownerControllerName != null) {
                ownByStatefulSet(se);
            }
            var status = se.getStatus();
            SpiderEndpoint written = client.resource(se).update(); // no status subresource: one write
            if (written.getStatus() == null || written.getStatus().current == null
                    || !id.equals(written.getStatus().current.reservationID)) {
                // a CRD that still has the status subresource (an older one) dropped it: through /status
                written.setStatus(status);
                client.resource(written).updateStatus();
            }
            LOG.infof("SpiderEndpoint %s/%s (written by Spiderpool) adopted as reservation %s", ns, name, id);
        } catch (KubernetesClientException e) {
            // 409: changed meanwhile; 404: gone. The next pass looks again.
            LOG.debugf("SpiderEndpoint %s/%s not adopted in this pass: %s", ns, name, e.getMessage());
        }
    }

    private void ownByStatefulSet(SpiderEndpoint se) {
        String ns = se.getMetadata().getNamespace();
        StatefulSet sts = client.apps().statefulSets().inNamespace(ns).withName(se.getStatus().ownerControllerName)
                .get();
        if (sts == null) {
            return; // not kept: the sweep releases its addresses once no pod of that name holds them
        }
        var refs = se.getMetadata().getOwnerReferences() == null ? new ArrayList<io.fabric8.kubernetes.api.model.OwnerReference>()
                : new ArrayList<>(se.getMetadata().getOwnerReferences());
        if (refs.stream().noneMatch(r -> sts.getMetadata().getUid().equals(r.getUid()))) {
            refs.add(new OwnerReferenceBuilder().withApiVersion("apps/v1").withKind("StatefulSet")
                    .withName(sts.getMetadata().getName()).withUid(sts.getMetadata().getUid()).build());
            se.getMetadata().setOwnerReferences(refs);
        }
    }

    /** An endpoint Spiderpool wrote: it records a pod UID but no Spinneret reservation. */
    public static boolean spiderpoolWritten(SpiderEndpoint se) {
        return se.getStatus() != null && se.getStatus().current != null && se.getStatus().current.uid != null
                && !se.getStatus().current.uid.isEmpty() && se.getStatus().current.reservationID == null;
    }

    /**
     * Whether {@code pod} (its metadata) is one Spiderpool served: its SpiderEndpoint (as cached) records its UID
     * and either no reservation yet or the one its records are imported to.
     */
    public boolean servedBySpiderpool(Pod pod) {
        SpiderEndpoint se = cache.endpoint(pod.getMetadata().getNamespace(), pod.getMetadata().getName()).orElse(null);
        return se != null && adoptedEndpointOf(se, pod.getMetadata().getUid());
    }

    private static boolean adoptedEndpointOf(SpiderEndpoint se, String podUid) {
        if (se.getStatus() == null || se.getStatus().current == null || podUid == null
                || !podUid.equals(se.getStatus().current.uid)) {
            return false;
        }
        String rid = se.getStatus().current.reservationID;
        return rid == null || rid.equals(SpiderpoolLedger.reservationId(podUid));
    }

    /**
     * The reservation of a pod Spiderpool served, as its annotation: the interfaces its SpiderEndpoint records,
     * each address confirmed in the ledger (read fresh) as held by the reservation of this pod's UID bound to this
     * pod. Empty when Spiderpool did not serve this pod (its endpoint is absent or records another UID).
     *
     * @throws Pending when an address cannot be confirmed yet (its pool still holds Spiderpool's ledger) or does
     *     not match the ledger (the message says which; the pod is left without a reservation)
     */
    public Optional<Adopted> reservationOf(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        String name = pod.getMetadata().getName();
        String uid = pod.getMetadata().getUid();
        SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(name).get();
        String id = SpiderpoolLedger.reservationId(uid);
        String holder = ns + "/" + name;
        if (se == null || !adoptedEndpointOf(se, uid) || se.getStatus().current.ips == null
                || se.getStatus().current.ips.isEmpty()) {
            withoutEndpoint(id, holder, uid);
            return Optional.empty();
        }
        Map<String, String> poolUids = new LinkedHashMap<>();
        for (IPAllocationDetail d : se.getStatus().current.ips) {
            for (String[] fam : new String[][] { { d.ipv4Pool, d.ipv4 }, { d.ipv6Pool, d.ipv6 } }) {
                if (fam[1] == null) {
                    continue;
                }
                SpiderIPPool pool = fam[0] == null ? null : client.resources(SpiderIPPool.class).withName(fam[0]).get();
                if (pool == null) {
                    throw new Pending("SpiderEndpoint " + holder + " names address " + fam[1] + " of SpiderIPPool "
                            + fam[0] + ", which does not exist");
                }
                if (PoolBlocks.spiderpoolWritten(pool)) {
                    throw new Pending("SpiderIPPool " + fam[0] + " still holds the ledger Spiderpool wrote (not adopted"
                            + " yet): the pod's address " + fam[1] + " is confirmed once it is");
                }
                if (!claims.holds(fam[0], fam[1], id, holder, false)) {
                    throw new Pending("SpiderEndpoint " + holder + " names address " + fam[1] + " of SpiderIPPool "
                            + fam[0] + ", but the ledger Spiderpool left does not record it for this pod (UID " + uid
                            + "): not adopted; see docs/migrate-from-spiderpool.md (Records that disagree)");
                }
                poolUids.put(fam[0], pool.getMetadata().getUid());
            }
        }
        if (poolUids.isEmpty()) {
            return Optional.empty();
        }
        ObjectNode root = mapper.createObjectNode();
        root.put("id", id);
        ArrayNode ifaces = root.putArray("interfaces");
        for (IPAllocationDetail d : se.getStatus().current.ips) {
            ifaces.add(mapper.valueToTree(d));
        }
        ObjectNode uids = root.putObject("poolUIDs");
        poolUids.forEach(uids::put);
        return Optional.of(new Adopted(id, root.toString()));
    }

    /**
     * A pod Spiderpool served whose SpiderEndpoint is gone (or records another pod): the ledger still holds what
     * Spiderpool gave it, bound to it, but which interface holds which address is known only from the endpoint. A new
     * reservation would give the pod a second set of addresses, and the first set — still on its interfaces — would
     * then be released as no longer carried by it and handed to another pod. So the pod gets none: it keeps running
     * with Spiderpool's addresses, held for it until it is deleted.
     *
     * @throws Pending when the ledger holds addresses for this pod's UID (the message names them)
     */
    private void withoutEndpoint(String id, String holder, String uid) {
        for (SpiderIPPool pool : cache.pools()) {
            if (PoolBlocks.spiderpoolWritten(pool) && pool.getStatus().allocatedIPs.contains("\"" + uid + "\"")) {
                throw new Pending("SpiderIPPool " + pool.getMetadata().getName() + " still holds the ledger Spiderpool"
                        + " wrote, which records this pod (UID " + uid + "): it is not given an address before that"
                        + " pool is adopted");
            }
        }
        Map<String, List<IpAddress>> held = blocks.heldBy(id, holder);
        if (held.isEmpty()) {
            return;
        }
        StringBuilder where = new StringBuilder();
        held.forEach((pool, addresses) -> where.append(where.length() == 0 ? "" : ", ").append(addresses.stream()
                .map(IpAddress::toString).collect(Collectors.joining(","))).append(" of SpiderIPPool ")
                .append(pool));
        throw new Pending("Spiderpool allocated " + where + " to this pod (UID " + uid + ") and they stay held for it,"
                + " but its SpiderEndpoint is missing, so which interface has which address is unknown: Spinneret"
                + " gives it no reservation (a second address would let the first be handed out while in use). The pod"
                + " keeps running; delete it to get a new address (the old ones are released then), or restore its"
                + " SpiderEndpoint from the backup (docs/migrate-from-spiderpool.md)");
    }

    private static Owner poolRef(SpiderIPPool pool) {
        return new Owner(SpiderApi.GROUP + "/" + SpiderApi.VERSION, "SpiderIPPool", null, pool.getMetadata().getName(),
                pool.getMetadata().getUid());
    }
}
