package dev.spinneret.selection;

import java.util.List;
import java.util.Map;

/**
 * What selection needs to know about one Node: its name, labels, taints and whether it is cordoned
 * ({@code spec.unschedulable}). A node that is not Ready carries the {@code node.kubernetes.io/not-ready} taint
 * (Kubernetes adds it), so readiness is seen through the taints.
 */
public record NodeFacts(String name, Map<String, String> labels, List<Taint> taints, boolean unschedulable) {

    /** A node taint; only {@code NoSchedule} and {@code NoExecute} keep a pod that does not tolerate it away. */
    public record Taint(String key, String value, String effect) {
        boolean repels() {
            return "NoSchedule".equals(effect) || "NoExecute".equals(effect);
        }

        @Override
        public String toString() {
            return key + (value == null || value.isEmpty() ? "" : "=" + value) + ":" + effect;
        }
    }

    /** The taint the scheduler treats a cordoned node as having. */
    static final Taint CORDONED = new Taint("node.kubernetes.io/unschedulable", "", "NoSchedule");
}
