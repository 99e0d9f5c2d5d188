package dev.spinneret.selection;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The required node affinity a pod gets so that the scheduler places it on a node of every node-bound pool chosen
 * for it: the pod's own terms (ORed) each ANDed with every chosen pool's rule — a {@code nodeAffinity} pool's
 * selector as {@code matchExpressions} (matchLabels as {@code In}), a {@code nodeName} pool's names as
 * {@code matchFields metadata.name In [name]} (the API server allows one value per field requirement, so one term
 * per name; several nodeName pools intersect their lists). Only ever narrows: a pod's own empty term (which
 * matches no node) stays empty.
 */
public final class NodePlacement {
    private NodePlacement() {
    }

    /**
     * The pod's new required node selector terms, or null when no chosen pool is node-bound (nothing to add).
     *
     * @param own the pod's own required terms, or null when it has none
     */
    public static List<NodeTerm> required(List<NodeTerm> own, List<PoolFacts> chosen) {
        List<Selector.Requirement> labels = new ArrayList<>();
        Set<String> names = null;
        boolean any = false;
        for (PoolFacts p : chosen) {
            if (!p.nodeRestricted()) {
                continue;
            }
            any = true;
            if (!p.nodeName().isEmpty()) {
                Set<String> mine = new LinkedHashSet<>(p.nodeName());
                if (names == null) {
                    names = mine;
                } else {
                    names.retainAll(mine);
                }
            } else {
                labels.addAll(requirements(p.nodeAffinity()));
            }
        }
        if (!any) {
            return null;
        }
        List<NodeTerm> base = own == null || own.isEmpty() ? List.of(new NodeTerm(List.of(), List.of())) : own;
        List<NodeTerm> out = new ArrayList<>();
        for (NodeTerm t : base) {
            if (own != null && !own.isEmpty() && t.isEmpty()) {
                out.add(t); // matches no node; adding requirements would make it match some
                continue;
            }
            if (names == null) {
                out.add(t.and(labels, List.of()));
                continue;
            }
            for (String n : names) {
                out.add(t.and(labels, List.of(new Selector.Requirement(NodeTerm.NAME_FIELD, "In", List.of(n)))));
            }
        }
        return out;
    }

    static List<Selector.Requirement> requirements(Selector s) {
        List<Selector.Requirement> out = new ArrayList<>();
        for (Map.Entry<String, String> e : new java.util.TreeMap<>(s.matchLabels()).entrySet()) {
            out.add(new Selector.Requirement(e.getKey(), "In", List.of(e.getValue())));
        }
        out.addAll(s.requirements());
        return out;
    }
}
