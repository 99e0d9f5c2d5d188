package dev.spinneret.subnet;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.ippool.IpPoolDefaulter;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** Mutating webhook for SpiderSubnet: finalizer, {@code ipVersion}, the CIDR label, merged {@code ips}/{@code excludeIPs}. */
@ApplicationScoped
public class SubnetDefaulter implements NamedAdmissionHandler {
    @Inject
    IpPoolDefaulter pools;

    @Override
    public String webhookName() {
        return "mutate-spidersubnet";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete() || req.object() == null) {
            return AdmissionOutcome.allow();
        }
        ObjectNode subnet = req.object().deepCopy();
        ObjectNode meta = subnet.with("metadata");
        if (meta.hasNonNull("deletionTimestamp")) {
            return AdmissionOutcome.allow();
        }
        IpPoolDefaulter.applySharedDefaults(meta, subnet.with("spec"), SpiderApi.LABEL_SUBNET_CIDR,
                SpiderApi.SUBNET_FINALIZER);
        return AdmissionOutcome.mutate(subnet);
    }
}
