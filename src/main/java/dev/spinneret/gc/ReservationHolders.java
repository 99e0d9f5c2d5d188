package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ledger.SpiderpoolLedger;
import dev.spinneret.pool.ReservationAnnotation;
import dev.spinneret.pool.StatefulSetOrdinal;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;
import java.util.Set;
import org.jboss.logging.Logger;

/**
 * Whether a reservation still has a holder — a pod, or a StatefulSet endpoint whose ordinal is still wanted — asked
 * of the caches (cheap, possibly stale) or of the API server (fresh), and what a pod's labels and annotation claim.
 * A pod's claim is only a claim: the ledger's binding decides whose a reservation is.
 */
@ApplicationScoped
public class ReservationHolders {
    private static final Logger LOG = Logger.getLogger(ReservationHolders.class);

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;

    /**
     * Whether the pod {@code holder} ({@code namespace/name}) that reservation {@code id} is bound to still holds it:
     * it exists and carries that reservation or none (a pod whose label was stripped; a pod of that name carrying
     * another reservation is a later incarnation), or its StatefulSet ordinal keeps it.
     */
    boolean heldInCache(String id, String holder) {
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

    /** {@link #heldInCache(String, String)}, read from the API server. */
    boolean heldFresh(String id, String holder) {
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

    /** An earlier version's entry, bound to no pod: held while a pod carries its reservation (labels). */
    boolean heldInCache(String id) {
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

    /** {@link #heldInCache(String)}, read from the API server. */
    boolean heldFresh(String id) {
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

    /**
     * Whether pod {@code p} holds reservation {@code id}: it carries that reservation or none, or {@code id} is the
     * one Spiderpool's records of this very pod (its UID) were imported to — those addresses were set up on its
     * interfaces by Spiderpool and stay held while the pod lives, whatever reservation it came to carry since.
     */
    private static boolean sameReservation(Pod p, String id) {
        String carried = reservationId(p);
        return carried == null || carried.equals(id)
                || (p.getMetadata().getUid() != null && id.equals(SpiderpoolLedger.reservationId(p.getMetadata().getUid())));
    }

    private static boolean endpointOf(SpiderEndpoint se, String id) {
        if (se.getStatus() == null || se.getStatus().current == null) {
            return false;
        }
        var current = se.getStatus().current;
        // an endpoint Spiderpool wrote, not taken over yet, holds the reservation its records were imported to
        return id.equals(current.reservationID) || (current.reservationID == null && current.uid != null
                && id.equals(SpiderpoolLedger.reservationId(current.uid)));
    }

    private boolean endpointKept(SpiderEndpoint se) {
        if (se.getStatus() == null || !"StatefulSet".equals(se.getStatus().ownerControllerType)) {
            return false;
        }
        return ordinalStillWanted(se.getMetadata().getNamespace(), se.getStatus().ownerControllerName,
                se.getMetadata().getName());
    }

    /** Whether StatefulSet {@code stsName} (read fresh) still wants the ordinal of pod {@code podName}. */
    boolean ordinalStillWanted(String ns, String stsName, String podName) {
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

    /** The StatefulSet controlling the pod, or null. */
    static String statefulSetOf(Pod p) {
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

    /** The reservation id the pod's label claims, or null. */
    static String reservationId(Pod pod) {
        Map<String, String> labels = pod.getMetadata().getLabels();
        return labels == null ? null : labels.get(IpamAnnotations.RESERVATION_LABEL);
    }

    /** The pools the pod's reserved-ips annotation names (none when it has none or it cannot be read). */
    Set<String> poolsOf(Pod pod) {
        Map<String, String> a = pod.getMetadata().getAnnotations();
        String json = a == null ? null : a.get(IpamAnnotations.RESERVED_IPS);
        if (json == null) {
            return Set.of();
        }
        try {
            return ReservationAnnotation.parse(json).pools();
        } catch (IllegalArgumentException e) {
            LOG.warnf("pod %s/%s has an unreadable %s annotation", pod.getMetadata().getNamespace(),
                    pod.getMetadata().getName(), IpamAnnotations.RESERVED_IPS);
            return Set.of();
        }
    }
}
