package dev.spinneret.selection;

import dev.spinneret.ip.IpFamily;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Expands the names and patterns of one interface request into candidate pools, keeping the order the user wrote
 * (a pattern's matches are taken in name order at the pattern's position), and filters them: disabled,
 * terminating, wrong family, namespace, pod and node restrictions. A pool restricted to some nodes is only chosen
 * when the pod is already pinned to a node at admission; otherwise the pod's IP could be unusable where it lands.
 */
public final class PoolSelection {
    private PoolSelection() {
    }

    public static Candidates candidates(List<String> namesOrPatterns, IpFamily family, Map<String, PoolFacts> pools,
            PodFacts pod) {
        Set<String> expanded = new LinkedHashSet<>();
        List<String> rejected = new ArrayList<>();
        TreeMap<String, PoolFacts> sorted = new TreeMap<>(pools);
        for (String n : namesOrPatterns) {
            if (Glob.isPattern(n)) {
                Glob g = Glob.compile(n);
                boolean any = false;
                for (String name : sorted.keySet()) {
                    if (g.matches(name) && sorted.get(name).family() == family) {
                        expanded.add(name);
                        any = true;
                    }
                }
                if (!any) {
                    rejected.add(n + ": no IPv" + family.number() + " pool matches this pattern");
                }
            } else if (!pools.containsKey(n)) {
                rejected.add(n + ": no such SpiderIPPool");
            } else {
                expanded.add(n);
            }
        }
        List<String> ok = new ArrayList<>();
        for (String name : expanded) {
            String why = whyNot(pools.get(name), family, pod);
            if (why == null) {
                ok.add(name);
            } else {
                rejected.add(name + ": " + why);
            }
        }
        return new Candidates(ok, rejected);
    }

    static String whyNot(PoolFacts p, IpFamily family, PodFacts pod) {
        if (p.family() != family) {
            return "it is an IPv" + p.family().number() + " pool, listed for IPv" + family.number();
        }
        if (p.terminating()) {
            return "it is being deleted";
        }
        if (p.disabled()) {
            return "spec.disable is true";
        }
        if (!p.namespaceName().isEmpty()) {
            if (!p.namespaceName().contains(pod.namespace())) {
                return "spec.namespaceName " + p.namespaceName() + " does not include namespace " + pod.namespace();
            }
        } else if (p.namespaceAffinity() != null && !p.namespaceAffinity().matches(pod.namespaceLabels())) {
            return "spec.namespaceAffinity (" + p.namespaceAffinity() + ") does not match namespace " + pod.namespace();
        }
        if (p.podAffinity() != null && !p.podAffinity().matches(pod.podLabels())) {
            return "spec.podAffinity (" + p.podAffinity() + ") does not match the pod's labels";
        }
        if (p.nodeRestricted()) {
            if (pod.node() == null) {
                return "it is restricted to some nodes and the pod is not pinned to a node at admission"
                        + " (set spec.nodeName or a kubernetes.io/hostname nodeSelector)";
            }
            if (!p.nodeName().isEmpty()) {
                if (!p.nodeName().contains(pod.node())) {
                    return "spec.nodeName " + p.nodeName() + " does not include node " + pod.node();
                }
            } else if (!p.nodeAffinity().matches(pod.nodeLabels())) {
                return "spec.nodeAffinity (" + p.nodeAffinity() + ") does not match node " + pod.node();
            }
        }
        return null;
    }
}
