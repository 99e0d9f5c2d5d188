package dev.spinneret.autopool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.selection.IpamAnnotations;
import java.util.Map;
import java.util.OptionalInt;

/**
 * How many pods a workload wants at once, read from the object itself: {@code spec.replicas} for Deployments,
 * StatefulSets, ReplicaSets and ReplicationControllers; the desired number scheduled for DaemonSets; parallelism
 * (capped by completions) for Jobs and CronJobs. Empty for kinds whose scale Spinneret cannot know (third-party
 * controllers): their automatic pools need a fixed size.
 */
final class WorkloadScale {
    private WorkloadScale() {
    }

    static OptionalInt replicas(String apiVersion, String kind, JsonNode object) {
        String group = apiVersion == null || !apiVersion.contains("/") ? "" : apiVersion.substring(0, apiVersion.indexOf('/'));
        JsonNode spec = object.path("spec");
        if (group.equals("apps") && (kind.equals("Deployment") || kind.equals("StatefulSet")
                || kind.equals("ReplicaSet")) || group.isEmpty() && kind.equals("ReplicationController")) {
            return OptionalInt.of(spec.path("replicas").asInt(1));
        }
        if (group.equals("apps") && kind.equals("DaemonSet")) {
            // right after creation the status is not yet computed while the controller already creates pods
            return OptionalInt.of(Math.max(1, object.path("status").path("desiredNumberScheduled").asInt(0)));
        }
        if (group.equals("batch") && kind.equals("Job")) {
            return OptionalInt.of(parallel(spec));
        }
        if (group.equals("batch") && kind.equals("CronJob")) {
            return OptionalInt.of(parallel(spec.path("jobTemplate").path("spec")));
        }
        return OptionalInt.empty();
    }

    /**
     * Whether the workload's pod template still asks for automatic pools; true for kinds without a known template
     * (their pods are judged one by one at admission).
     */
    static boolean wantsSubnet(String kind, JsonNode object) {
        if (PodTemplates.template(kind, object) == null) {
            return true;
        }
        Map<String, String> annotations = PodTemplates.annotations(kind, object);
        return annotations.containsKey(IpamAnnotations.SUBNET) || annotations.containsKey(IpamAnnotations.SUBNETS);
    }

    private static int parallel(JsonNode jobSpec) {
        int parallelism = jobSpec.path("parallelism").asInt(1);
        JsonNode completions = jobSpec.path("completions");
        return completions.isNumber() ? Math.min(parallelism, completions.asInt()) : parallelism;
    }
}
