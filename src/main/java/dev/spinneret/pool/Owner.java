package dev.spinneret.pool;

/** A workload object: the pod's top controller (Deployment, StatefulSet, CronJob, a CloneSet, ...) or the pod. */
public record Owner(String apiVersion, String kind, String namespace, String name, String uid) {

    public boolean isStatefulSet() {
        return "StatefulSet".equals(kind) && apiVersion != null && apiVersion.startsWith("apps/");
    }

    @Override
    public String toString() {
        return kind + " " + namespace + "/" + name;
    }
}
