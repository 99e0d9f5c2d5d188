package dev.spinneret.reservation;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.cluster.OwnIdentity;
import dev.spinneret.selection.IpamAnnotations;
import jakarta.inject.Inject;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Objects;

/**
 * Validating webhook on Pod UPDATE: the reservation annotation and label are Spinneret's; nobody else edits them
 * (Spinneret itself adds them to a pod the pod webhook never saw: {@link LateReservations}). The chart's admission
 * policy holds the same rule inside the API server, also while every replica is down.
 */
@ApplicationScoped
public class PodUpdateGuard implements NamedAdmissionHandler {
    @Inject
    OwnIdentity identity;

    @Override
    public String webhookName() {
        return "validate-pod";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (!req.isUpdate() || req.oldObject() == null) {
            return AdmissionOutcome.allow();
        }
        var own = identity.username();
        if (own.isPresent() && own.get().equals(req.userName())) {
            return AdmissionOutcome.allow();
        }
        check(req, "annotations", IpamAnnotations.RESERVED_IPS);
        check(req, "labels", IpamAnnotations.RESERVATION_LABEL);
        return AdmissionOutcome.allow();
    }

    private static void check(AdmissionRequest req, String where, String key) {
        JsonNode before = req.oldObject().path("metadata").path(where).get(key);
        JsonNode after = req.object().path("metadata").path(where).get(key);
        if (!Objects.equals(before, after)) {
            throw AdmissionDenied.forbidden("metadata." + where + "[" + key + "]: is set by Spinneret when the pod is"
                    + " admitted and cannot be " + (after == null ? "removed" : before == null ? "added" : "changed"));
        }
    }
}
