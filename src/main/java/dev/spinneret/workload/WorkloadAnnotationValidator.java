package dev.spinneret.workload;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.autopool.PodTemplates;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.AnnotationException;
import dev.spinneret.selection.AutoPoolAnnotations;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.PodRoutes;
import dev.spinneret.selection.SubnetAnnotations;
import dev.spinneret.selection.SubnetRequest;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Validating webhook on Deployments, StatefulSets, ReplicaSets, DaemonSets, Jobs and CronJobs: malformed
 * {@code ipam.spidernet.io/*} annotations in the pod template are refused when the workload is applied, naming the
 * field, quoting the value and the expected shape — instead of every pod failing later. A workload that already has
 * automatic pools may not change its subnet. A workload whose node-bound pools cannot hold the pods it is about to
 * ask for gets a warning ({@link NodePoolCapacityWarnings}).
 */
@ApplicationScoped
public class WorkloadAnnotationValidator implements NamedAdmissionHandler {
    @Inject
    ClusterCache cache;
    @Inject
    Events events;
    @Inject
    NodePoolCapacityWarnings capacity;

    @Override
    public String webhookName() {
        return "validate-workload";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete() || req.object() == null) {
            return AdmissionOutcome.allow();
        }
        String path = PodTemplates.annotationsPath(req.kind());
        Map<String, String> annotations = PodTemplates.annotations(req.kind(), req.object());
        try {
            AutoPoolAnnotations.check(annotations);
            PodRoutes.parse(annotations); // their shape; whether a gateway is reachable is known once pools are chosen
            if (req.isUpdate() && req.oldObject() != null) {
                refuseSubnetChange(req, path, PodTemplates.annotations(req.kind(), req.oldObject()), annotations);
            }
            if (annotations.keySet().stream().anyMatch(k -> k.equals(IpamAnnotations.IPPOOL)
                    || k.equals(IpamAnnotations.IPPOOLS))) {
                // the same parser the pod webhook uses; cluster defaults do not matter for the shape check
                Map<String, String> onlyPools = new HashMap<>();
                for (String k : new String[] { IpamAnnotations.IPPOOL, IpamAnnotations.IPPOOLS }) {
                    if (annotations.containsKey(k)) {
                        onlyPools.put(k, annotations.get(k));
                    }
                }
                IpamAnnotations.requests(onlyPools, Map.of(), java.util.List.of(), java.util.List.of());
            }
        } catch (AnnotationException e) {
            throw AdmissionDenied.field(path, e.getMessage());
        }
        List<String> warnings = capacity.check(req, annotations);
        return warnings.isEmpty() ? AdmissionOutcome.allow() : AdmissionOutcome.allowWarning(warnings);
    }

    /**
     * A workload with automatic pools keeps its subnet (Spiderpool refuses the change too): its pods' addresses,
     * and the firewall rules written for them, come from that subnet. An Event on the workload says why.
     */
    private void refuseSubnetChange(AdmissionRequest req, String path, Map<String, String> before,
            Map<String, String> after) {
        List<SubnetRequest> was = SubnetAnnotations.requests(before);
        List<SubnetRequest> now = SubnetAnnotations.requests(after);
        if (was.isEmpty() || now.isEmpty() || was.equals(now)) { // dropping the subnet moves off automatic pools
            return;
        }
        String uid = req.object().at("/metadata/uid").asText("");
        List<String> pools = cache.pools().stream()
                .filter(p -> p.getMetadata().getLabels() != null
                        && uid.equals(p.getMetadata().getLabels().get(AutoPoolLabels.UID)))
                .map(p -> p.getMetadata().getName()).sorted().toList();
        if (pools.isEmpty()) {
            return;
        }
        String ns = req.object().at("/metadata/namespace").asText(req.namespace());
        String name = req.object().at("/metadata/name").asText("");
        Owner workload = new Owner(req.object().path("apiVersion").asText(), req.kind(), ns, name, uid);
        String msg = workload + " has automatic pool(s) " + pools + " from " + describe(was) + "; an application's"
                + " subnet cannot change (its pods' addresses and the rules written for them come from it). To move"
                + " it: delete the workload (reclaimed pools go once its pods are gone) and create it again with the"
                + " new subnet, or switch it to ipam.spidernet.io/ippool with pools you manage";
        events.warning(workload, "ApplicationSubnetChanged", msg);
        throw AdmissionDenied.field(path, msg);
    }

    private static String describe(List<SubnetRequest> requests) {
        return requests.stream().map(r -> "interface " + r.iface() + ": " + (r.v4Subnet() == null ? ""
                : "SpiderSubnet " + r.v4Subnet()) + (r.v4Subnet() != null && r.v6Subnet() != null ? ", " : "")
                + (r.v6Subnet() == null ? "" : "SpiderSubnet " + r.v6Subnet())).collect(Collectors.joining("; "));
    }
}
