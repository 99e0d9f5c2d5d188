package dev.spinneret.subnet;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.api.v2beta1.SpiderSubnetSpec;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterFootprints;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ippool.OverlapRules;
import dev.spinneret.ippool.UpdateRules;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.Footprint;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/** Validating webhook for SpiderSubnet (spiderpool-behaviour.md §4.3). */
@ApplicationScoped
public class SubnetValidator implements NamedAdmissionHandler {
    @Inject
    KubernetesClient client;
    @Inject
    ObjectMapper mapper;
    @Inject
    AdmissionGate gate;
    @Inject
    ClusterFootprints footprints;

    @Override
    public String webhookName() {
        return "validate-spidersubnet";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete()) {
            return AdmissionOutcome.allow();
        }
        SpiderSubnet subnet = read(req.object());
        if (subnet.getSpec() == null) {
            throw AdmissionDenied.field("spec", "is required");
        }
        SpiderSubnet old = req.isUpdate() && req.oldObject() != null ? read(req.oldObject()) : null;
        if (old != null) {
            if (UpdateRules.specUnchanged(req)) {
                return AdmissionOutcome.allow();
            }
            UpdateRules.check("SpiderSubnet", subnet.getMetadata().getName(), old.isMarkedForDeletion(),
                    old.getSpec().ipVersion, subnet.getSpec().ipVersion, old.getSpec().subnet, subnet.getSpec().subnet);
        }
        SpiderSubnetSpec s = subnet.getSpec();
        // ipVersion is normally set by the mutating webhook; when it is not, AddressSpec derives it from spec.subnet
        // and reports what is wrong with the subnet itself (e.g. "not in canonical form: use ...")
        AddressSpec spec = PoolSpec.complete(s);
        if (old != null) {
            guardControlled(old, spec);
        }
        Footprint mine = new Footprint("SpiderSubnet", subnet.getMetadata().getName(), spec.subnet(), spec.usable())
                .of(subnet.getMetadata().getUid(), subnet.getMetadata().getGeneration());
        gate.admit(mine, req.dryRun(), footprints::fresh, others -> OverlapRules.forSubnet(mine, others));
        return AdmissionOutcome.allow();
    }

    /** Addresses the subnet handed to pools ({@code status.controlledIPPools}) cannot be removed from it. */
    private void guardControlled(SpiderSubnet old, AddressSpec now) {
        if (old.getStatus() == null || old.getStatus().controlledIPPools == null) {
            return;
        }
        Map<String, Map<String, Object>> controlled;
        try {
            controlled = mapper.readValue(old.getStatus().controlledIPPools, new TypeReference<>() {
            });
        } catch (Exception e) {
            return;
        }
        for (var entry : controlled.entrySet()) {
            Object ips = entry.getValue().get("ips");
            if (!(ips instanceof List<?> list)) {
                continue;
            }
            IpRangeSet held = IpRangeSet.parse(now.family(), list.stream().map(String::valueOf).toList());
            IpRangeSet lost = held.minus(now.usable());
            if (!lost.isEmpty()) {
                throw AdmissionDenied.field("spec.ips", "cannot remove " + String.join(",", lost.toStrings())
                        + ": handed to SpiderIPPool " + entry.getKey());
            }
        }
    }

    private SpiderSubnet read(JsonNode node) {
        try {
            return client.getKubernetesSerialization().convertValue(node, SpiderSubnet.class);
        } catch (RuntimeException e) {
            throw AdmissionDenied.field("spec", "does not match the SpiderSubnet schema: " + e.getMessage());
        }
    }
}
