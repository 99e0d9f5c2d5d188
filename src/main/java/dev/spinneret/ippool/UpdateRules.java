package dev.spinneret.ippool;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionRequest;
import java.util.Objects;

/**
 * The update rules SpiderIPPool and SpiderSubnet share. An update that leaves {@code spec} unchanged always passes
 * (finalizer removal on a terminating object must never be blocked: Spiderpool #1203); a terminating object's spec
 * is frozen; {@code ipVersion} and {@code subnet} are immutable.
 */
public final class UpdateRules {
    private UpdateRules() {
    }

    /** @return true when the spec is unchanged and nothing else needs checking */
    public static boolean specUnchanged(AdmissionRequest req) {
        return Objects.equals(req.object().get("spec"), req.oldObject().get("spec"));
    }

    public static void check(String kind, String name, boolean terminating, Long oldVersion, Long newVersion,
            String oldSubnet, String newSubnet) {
        if (terminating) {
            throw AdmissionDenied.forbidden("spec: " + kind + " " + name + " is being deleted; only metadata changes"
                    + " (such as removing finalizers) are accepted");
        }
        if (oldVersion != null && !Objects.equals(oldVersion, newVersion)) {
            throw AdmissionDenied.field("spec.ipVersion", "is immutable (was " + oldVersion + ")");
        }
        if (oldSubnet != null && !Objects.equals(oldSubnet, newSubnet)) {
            throw AdmissionDenied.field("spec.subnet", "is immutable (was " + oldSubnet + ")");
        }
    }
}
