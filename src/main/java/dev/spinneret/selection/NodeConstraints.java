package dev.spinneret.selection;

import java.util.List;
import java.util.Map;

/**
 * A pod's own placement rules, as the scheduler applies them: {@code spec.nodeSelector}, the required node affinity
 * ({@code requiredDuringSchedulingIgnoredDuringExecution}, terms ORed; null when the pod has none) and its
 * tolerations. {@link #admits} is the hard part (labels and names: the pod can never go there), {@link
 * #whyRepelled} the part that may change (a cordon, a taint).
 */
public record NodeConstraints(Map<String, String> nodeSelector, List<NodeTerm> requiredTerms,
        List<Toleration> tolerations) {

    public static final NodeConstraints NONE = new NodeConstraints(Map.of(), null, List.of());

    /** A toleration; {@code operator} is Exists or Equal (empty means Equal), empty effect means every effect. */
    public record Toleration(String key, String operator, String value, String effect) {
        boolean tolerates(NodeFacts.Taint t) {
            if (effect != null && !effect.isEmpty() && !effect.equals(t.effect())) {
                return false;
            }
            boolean exists = "Exists".equals(operator);
            if (key == null || key.isEmpty()) {
                return exists; // an empty key with Exists tolerates everything
            }
            if (!key.equals(t.key())) {
                return false;
            }
            return exists || nullToEmpty(value).equals(nullToEmpty(t.value()));
        }
    }

    /** True when the node's name and labels satisfy the pod's node selector and required node affinity. */
    public boolean admits(NodeFacts n) {
        for (var e : nodeSelector.entrySet()) {
            if (!e.getValue().equals(n.labels().get(e.getKey()))) {
                return false;
            }
        }
        if (requiredTerms == null || requiredTerms.isEmpty()) {
            return true;
        }
        return requiredTerms.stream().anyMatch(t -> t.matches(n));
    }

    /** Why the pod would not be scheduled on {@code n} today although its rules allow it: null when it would. */
    public String whyRepelled(NodeFacts n) {
        if (n.unschedulable() && !tolerated(NodeFacts.CORDONED)) {
            return "cordoned (spec.unschedulable)";
        }
        for (NodeFacts.Taint t : n.taints()) {
            if (t.repels() && !tolerated(t)) {
                return "taint " + t + " not tolerated";
            }
        }
        return null;
    }

    private boolean tolerated(NodeFacts.Taint t) {
        return tolerations.stream().anyMatch(tol -> tol.tolerates(t));
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }
}
