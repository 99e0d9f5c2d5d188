package dev.spinneret.reservation;

import dev.spinneret.selection.NodeConstraints;
import dev.spinneret.selection.NodeFacts;
import dev.spinneret.selection.NodeTerm;
import dev.spinneret.selection.Selector;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.Pod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where a pod may run, from its spec (Kubernetes objects → the selection core's plain values): the node it is pinned
 * to at admission, if any (spec.nodeName, a hostname nodeSelector, a DaemonSet's affinity); its own placement rules
 * (node selector, required node affinity, tolerations); and a Node's facts.
 */
public final class PodPinning {
    private PodPinning() {
    }

    public static String node(Pod pod) {
        var spec = pod.getSpec();
        if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
            return spec.getNodeName();
        }
        if (spec.getNodeSelector() != null && spec.getNodeSelector().get("kubernetes.io/hostname") != null) {
            return spec.getNodeSelector().get("kubernetes.io/hostname");
        }
        List<NodeSelectorTerm> terms = requiredTerms(pod);
        if (terms == null || terms.size() != 1) {
            return null;
        }
        NodeSelectorTerm t = terms.get(0);
        String fromFields = single(t.getMatchFields(), "metadata.name");
        return fromFields != null ? fromFields : single(t.getMatchExpressions(), "kubernetes.io/hostname");
    }

    /** The pod's node selector, required node affinity and tolerations. */
    public static NodeConstraints constraints(Pod pod) {
        var spec = pod.getSpec();
        List<NodeTerm> terms = null;
        List<NodeSelectorTerm> own = requiredTerms(pod);
        if (own != null) {
            terms = new ArrayList<>();
            for (NodeSelectorTerm t : own) {
                terms.add(new NodeTerm(requirements(t.getMatchExpressions()), requirements(t.getMatchFields())));
            }
        }
        List<NodeConstraints.Toleration> tolerations = new ArrayList<>();
        if (spec.getTolerations() != null) {
            spec.getTolerations().forEach(t -> tolerations.add(new NodeConstraints.Toleration(t.getKey(),
                    t.getOperator(), t.getValue(), t.getEffect())));
        }
        return new NodeConstraints(spec.getNodeSelector() == null ? Map.of() : spec.getNodeSelector(), terms,
                tolerations);
    }

    public static NodeFacts facts(Node n) {
        List<NodeFacts.Taint> taints = new ArrayList<>();
        if (n.getSpec() != null && n.getSpec().getTaints() != null) {
            n.getSpec().getTaints().forEach(t -> taints.add(new NodeFacts.Taint(t.getKey(), t.getValue(),
                    t.getEffect())));
        }
        return new NodeFacts(n.getMetadata().getName(),
                n.getMetadata().getLabels() == null ? Map.of() : n.getMetadata().getLabels(), taints,
                n.getSpec() != null && Boolean.TRUE.equals(n.getSpec().getUnschedulable()));
    }

    private static List<NodeSelectorTerm> requiredTerms(Pod pod) {
        var spec = pod.getSpec();
        if (spec.getAffinity() == null || spec.getAffinity().getNodeAffinity() == null
                || spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
            return null;
        }
        return spec.getAffinity().getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms();
    }

    private static List<Selector.Requirement> requirements(List<NodeSelectorRequirement> reqs) {
        List<Selector.Requirement> out = new ArrayList<>();
        if (reqs != null) {
            reqs.forEach(r -> out.add(new Selector.Requirement(r.getKey(), r.getOperator(),
                    r.getValues() == null ? List.of() : r.getValues())));
        }
        return out;
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
