package dev.spinneret.reservedip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpFormatException;
import dev.spinneret.ip.IpRange;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Objects;

/** SpiderReservedIP: {@code ipVersion} defaulted from the first address, immutable; every item valid for it. */
public final class ReservedIpWebhooks {
    private ReservedIpWebhooks() {
    }

    @ApplicationScoped
    public static class Defaulter implements NamedAdmissionHandler {
        @Override
        public String webhookName() {
            return "mutate-spiderreservedip";
        }

        @Override
        public AdmissionOutcome handle(AdmissionRequest req) {
            if (req.isDelete() || req.object() == null) {
                return AdmissionOutcome.allow();
            }
            ObjectNode obj = req.object().deepCopy();
            ObjectNode spec = obj.with("spec");
            JsonNode ips = spec.get("ips");
            if (!spec.hasNonNull("ipVersion") && ips != null && ips.isArray() && !ips.isEmpty()) {
                try {
                    spec.put("ipVersion", IpRange.parse(ips.get(0).asText().trim()).family().number());
                } catch (IpFormatException e) {
                    // validation names it
                }
            }
            return AdmissionOutcome.mutate(obj);
        }
    }

    @ApplicationScoped
    public static class Validator implements NamedAdmissionHandler {
        @Override
        public String webhookName() {
            return "validate-spiderreservedip";
        }

        @Override
        public AdmissionOutcome handle(AdmissionRequest req) {
            if (req.isDelete()) {
                return AdmissionOutcome.allow();
            }
            JsonNode spec = req.object().path("spec");
            if (req.isUpdate() && req.oldObject() != null) {
                JsonNode oldSpec = req.oldObject().path("spec");
                if (Objects.equals(spec, oldSpec)) {
                    return AdmissionOutcome.allow();
                }
                if (oldSpec.hasNonNull("ipVersion") && !Objects.equals(oldSpec.get("ipVersion"), spec.get("ipVersion"))) {
                    throw AdmissionDenied.field("spec.ipVersion", "is immutable (was " + oldSpec.get("ipVersion") + ")");
                }
            }
            JsonNode v = spec.get("ipVersion");
            if (v == null || !v.canConvertToInt()) {
                throw AdmissionDenied.field("spec.ipVersion", "is required (4 or 6) when spec.ips is empty");
            }
            IpFamily family;
            try {
                family = IpFamily.ofNumber(v.asInt());
            } catch (IpFormatException e) {
                throw AdmissionDenied.field("spec.ipVersion", e.getMessage());
            }
            JsonNode ips = spec.path("ips");
            for (int i = 0; i < ips.size(); i++) {
                String item = ips.get(i).asText();
                IpRange r;
                try {
                    r = IpRange.parse(item.trim());
                } catch (IpFormatException e) {
                    throw AdmissionDenied.field("spec.ips[" + i + "]", e.getMessage());
                }
                if (r.family() != family) {
                    throw AdmissionDenied.field("spec.ips[" + i + "]", item + " is not an IPv" + family.number()
                            + " address or range");
                }
            }
            return AdmissionOutcome.allow();
        }
    }
}
