package dev.spinneret.ippool;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.cluster.Finalizers;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;

/**
 * Mutating webhook for SpiderIPPool: the finalizer, {@code ipVersion} from {@code subnet}, the CIDR label, merged and
 * sorted {@code ips}/{@code excludeIPs}, and — when a SpiderSubnet owns the same CIDR — its gateway and routes (only
 * where the pool leaves them unset) and the owner label. Never denies: validation reports what is wrong.
 */
@ApplicationScoped
public class IpPoolDefaulter implements NamedAdmissionHandler {
    @Inject
    KubernetesClient client;

    @Override
    public String webhookName() {
        return "mutate-spiderippool";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete() || req.object() == null) {
            return AdmissionOutcome.allow();
        }
        ObjectNode pool = req.object().deepCopy();
        ObjectNode meta = pool.with("metadata");
        if (meta.hasNonNull("deletionTimestamp")) {
            return AdmissionOutcome.allow();
        }
        ObjectNode spec = pool.with("spec");
        Cidr cidr = applySharedDefaults(meta, spec, SpiderApi.LABEL_IPPOOL_CIDR, SpiderApi.POOL_FINALIZER);
        if (cidr != null && req.isCreate()) {
            inheritFromSubnet(meta, spec, cidr);
        }
        if (!spec.has("default")) {
            spec.put("default", false);
        }
        if (!spec.has("disable")) {
            spec.put("disable", false);
        }
        return AdmissionOutcome.mutate(pool);
    }

    private void inheritFromSubnet(ObjectNode meta, ObjectNode spec, Cidr cidr) {
        List<SpiderSubnet> subnets = client.resources(SpiderSubnet.class)
                .withLabel(SpiderApi.LABEL_SUBNET_CIDR, AddressSpec.cidrLabel(cidr)).list().getItems();
        for (SpiderSubnet s : subnets) {
            if (s.getSpec() == null || !cidr.toString().equals(s.getSpec().subnet) || s.isMarkedForDeletion()) {
                continue;
            }
            meta.with("labels").put(SpiderApi.LABEL_OWNER_SUBNET, s.getMetadata().getName());
            if (!spec.hasNonNull("gateway") && s.getSpec().gateway != null) {
                spec.put("gateway", s.getSpec().gateway);
            }
            if (!spec.has("routes") && s.getSpec().routes != null) {
                ArrayNode routes = spec.putArray("routes");
                s.getSpec().routes.forEach(r -> routes.addObject().put("dst", r.dst).put("gw", r.gw));
            }
            return;
        }
    }

    /**
     * The defaults pools and subnets share: {@code finalizer} in place of the legacy one, ipVersion, the CIDR label,
     * merged ranges. Returns the parsed CIDR, or null when {@code spec.subnet} is unusable (validation will say why).
     */
    public static Cidr applySharedDefaults(ObjectNode meta, ObjectNode spec, String cidrLabel, String finalizer) {
        return SpecDefaults.apply(meta, spec, cidrLabel, finalizer);
    }

    private static final class SpecDefaults {
        private SpecDefaults() {
        }

        static Cidr apply(ObjectNode meta, ObjectNode spec, String cidrLabel, String finalizer) {
            // callers skip objects being deleted, where no finalizer may be added (the legacy one then stays)
            List<String> have = new java.util.ArrayList<>();
            meta.withArray("finalizers").forEach(f -> have.add(f.asText()));
            List<String> want = Finalizers.migrated(have, finalizer);
            if (!want.equals(have)) {
                ArrayNode finalizers = meta.putArray("finalizers");
                want.forEach(finalizers::add);
            }
            Cidr cidr;
            try {
                cidr = Cidr.parseCanonical(spec.path("subnet").asText("").trim());
            } catch (RuntimeException e) {
                return null;
            }
            if (!spec.hasNonNull("ipVersion")) {
                spec.put("ipVersion", cidr.family().number());
            }
            meta.with("labels").put(cidrLabel, AddressSpec.cidrLabel(cidr));
            normalise(spec, "ips", cidr);
            normalise(spec, "excludeIPs", cidr);
            return cidr;
        }

        private static void normalise(ObjectNode spec, String field, Cidr cidr) {
            JsonNode items = spec.get(field);
            if (items == null || !items.isArray() || items.isEmpty()) {
                return;
            }
            try {
                List<String> texts = new java.util.ArrayList<>();
                items.forEach(i -> texts.add(i.asText().trim()));
                IpRangeSet set = IpRangeSet.parse(cidr.family(), texts);
                ArrayNode out = spec.putArray(field);
                set.toStrings().forEach(out::add);
            } catch (RuntimeException e) {
                // leave it as written: the validating webhook names the bad item
            }
        }
    }
}
