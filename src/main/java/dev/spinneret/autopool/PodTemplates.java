package dev.spinneret.autopool;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.Map;

/** Where the pod template of a built-in workload kind lives, and its annotations. */
public final class PodTemplates {
    private PodTemplates() {
    }

    /** The pod template of a Deployment, StatefulSet, ReplicaSet, DaemonSet, Job, CronJob or ReplicationController. */
    public static JsonNode template(String kind, JsonNode workload) {
        return switch (kind) {
            case "CronJob" -> workload.at("/spec/jobTemplate/spec/template");
            case "Deployment", "StatefulSet", "ReplicaSet", "DaemonSet", "Job", "ReplicationController" ->
                    workload.at("/spec/template");
            default -> null;
        };
    }

    /** The field path of those annotations, for messages. */
    public static String annotationsPath(String kind) {
        return "CronJob".equals(kind) ? "spec.jobTemplate.spec.template.metadata.annotations"
                : "spec.template.metadata.annotations";
    }

    /** The pod template's annotations (empty for kinds without a known template). */
    public static Map<String, String> annotations(String kind, JsonNode workload) {
        Map<String, String> out = new HashMap<>();
        JsonNode template = template(kind, workload);
        if (template != null) {
            template.path("metadata").path("annotations").fields()
                    .forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        }
        return out;
    }
}
