package dev.spinneret.reservation;

import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.List;

/** The node a pod is pinned to at admission, if any: spec.nodeName, a hostname nodeSelector, a DaemonSet's affinity. */
final class PodPinning {
    private PodPinning() {
    }

    static String node(Pod pod) {
        var spec = pod.getSpec();
        if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
            return spec.getNodeName();
        }
        if (spec.getNodeSelector() != null && spec.getNodeSelector().get("kubernetes.io/hostname") != null) {
            return spec.getNodeSelector().get("kubernetes.io/hostname");
        }
        if (spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null
                || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return null;
        }
        List<NodeSelectorTerm> terms = spec.getAffinity().getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms();
        if (terms == null || terms.size() != 1) {
            return null;
        }
        NodeSelectorTerm t = terms.get(0);
        String fromFields = single(t.getMatchFields(), "metadata.name");
        return fromFields != null ? fromFields : single(t.getMatchExpressions(), "kubernetes.io/hostname");
    }

    private static String single(List<NodeSelectorRequirement> reqs, String key) {
        if (reqs == null) {
            return null;
        }
        for (NodeSelectorRequirement r : reqs) {
            if (key.equals(r.getKey()) && "In".equals(r.getOperator()) && r.getValues() != null
                    && r.getValues().size() == 1) {
                return r.getValues().get(0);
            }
        }
        return null;
    }
}
