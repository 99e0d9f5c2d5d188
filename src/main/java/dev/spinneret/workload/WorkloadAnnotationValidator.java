package dev.spinneret.workload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.selection.AnnotationException;
import dev.spinneret.selection.AutoPoolAnnotations;
import dev.spinneret.selection.IpamAnnotations;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.HashMap;
import java.util.Map;

/**
 * Validating webhook on Deployments, StatefulSets, ReplicaSets, DaemonSets, Jobs and CronJobs: malformed
 * {@code ipam.spidernet.io/*} annotations in the pod template are refused when the workload is applied, naming the
 * field, quoting the value and the expected shape — instead of every pod failing later.
 */
@ApplicationScoped
public class WorkloadAnnotationValidator implements NamedAdmissionHandler {
    @Override
    public String webhookName() {
        return "validate-workload";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (req.isDelete() || req.object() == null) {
            return AdmissionOutcome.allow();
        }
        boolean cronJob = "CronJob".equals(req.kind());
        String path = cronJob ? "spec.jobTemplate.spec.template.metadata.annotations" : "spec.template.metadata.annotations";
        JsonNode template = cronJob ? req.object().at("/spec/jobTemplate/spec/template")
                : req.object().at("/spec/template");
        Map<String, String> annotations = new HashMap<>();
        template.path("metadata").path("annotations").fields()
                .forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
        try {
            AutoPoolAnnotations.check(annotations);
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
        return AdmissionOutcome.allow();
    }
}
