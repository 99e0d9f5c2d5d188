package dev.spinneret.reservation;

import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ledger.LedgerClaims;
import dev.spinneret.pool.ReservationAnnotation;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Tells our own reservation on a pod being created (the API server re-invokes the webhook when a later mutating
 * webhook changed the pod; each call has a new request uid) from one a user wrote or copied from another pod.
 * It is ours only if its id is the pod's reservation label, no stored pod holds that id yet, and every address it
 * names is held by that id, bound to this pod (namespace and name, which the first call set), in its pool's ledger
 * (the one block it falls in, read fresh). A copied or invented reservation fails one of these.
 */
@ApplicationScoped
public class Reinvocations {
    @Inject
    ClusterCache cache;
    @Inject
    LedgerClaims claims;

    boolean isOwn(Pod pod, String annotation) {
        String holder = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        if (pod.getMetadata().getName() == null) {
            return false; // the first call names every pod it reserves for
        }
        ReservationAnnotation r;
        try {
            r = ReservationAnnotation.parse(annotation);
        } catch (IllegalArgumentException e) {
            return false;
        }
        String id = r.id() == null ? "" : r.id();
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (id.isEmpty() || labels == null || !id.equals(labels.get(IpamAnnotations.RESERVATION_LABEL))) {
            return false;
        }
        if (!cache.podsWithReservation(id).isEmpty()) {
            return false;
        }
        if (r.interfacesOrNone().isEmpty()) {
            return false;
        }
        for (IPAllocationDetail i : r.interfacesOrNone()) {
            if (i == null) {
                continue;
            }
            if (i.ipv4 != null && !claims.holds(orEmpty(i.ipv4Pool), i.ipv4, id, holder, false)) {
                return false;
            }
            if (i.ipv6 != null && !claims.holds(orEmpty(i.ipv6Pool), i.ipv6, id, holder, false)) {
                return false;
            }
        }
        return true;
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s;
    }
}
