package dev.spinneret.selection;

import dev.spinneret.ip.IpFamily;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Expands the names and patterns of one interface request into candidate pools, keeping the order the user wrote
 * (a pattern's matches are taken in name order at the pattern's position), and filters them: disabled,
 * terminating, wrong family, namespace, pod and node restrictions. A pool restricted to some nodes serves a pod only
 * if one of its nodes can take the pod ({@link NodeScope}). When the scheduler places the pod later, the node-bound
 * candidates are tried most free addresses first (ties in the written order), at the position of the first of them:
 * the pod then runs on a node of the pool that gave its address (the webhook adds the pool's node rules to it).
 */
public final class PoolSelection {
    private PoolSelection() {
    }

    public static Candidates candidates(List<String> namesOrPatterns, IpFamily family, Map<String, PoolFacts> pools,
            PodFacts pod) {
        return candidates(namesOrPatterns, family, pools, pod, name -> 0L, null);
    }

    /**
     * @param free free addresses of a pool; asked only for node-bound candidates, and only when the pod's node is
     *        chosen later (to order them)
     * @param earlier the pool a StatefulSet pod had before (or null): kept while its nodes admit the pod even if
     *        they are cordoned or tainted today
     */
    public static Candidates candidates(List<String> namesOrPatterns, IpFamily family, Map<String, PoolFacts> pools,
            PodFacts pod, ToLongFunction<String> free, String earlier) {
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
            String why = whyNot(pools.get(name), family, pod, name.equals(earlier));
            if (why == null) {
                ok.add(name);
            } else {
                rejected.add(name + ": " + why);
            }
        }
        if (pod.nodes().isOpen()) {
            ok = mostFreeFirst(ok, pools, free);
        }
        return new Candidates(ok, rejected);
    }

    /** The node-bound pools of {@code ok} sorted by free addresses (most first, stable) where the first of them was. */
    static List<String> mostFreeFirst(List<String> ok, Map<String, PoolFacts> pools, ToLongFunction<String> free) {
        List<String> bound = ok.stream().filter(n -> pools.get(n).nodeRestricted()).toList();
        if (bound.size() < 2) {
            return ok;
        }
        Map<String, Long> freeOf = new HashMap<>();
        bound.forEach(n -> freeOf.put(n, free.applyAsLong(n)));
        List<String> sorted = new ArrayList<>(bound);
        sorted.sort(Comparator.comparingLong((String n) -> freeOf.get(n)).reversed());
        List<String> out = new ArrayList<>();
        for (String n : ok) {
            if (!pools.get(n).nodeRestricted()) {
                out.add(n);
            } else if (n.equals(bound.get(0))) {
                out.addAll(sorted);
            }
        }
        return out;
    }

    static String whyNot(PoolFacts p, IpFamily family, PodFacts pod, boolean lenient) {
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
        return pod.nodes().whyNot(p, lenient);
    }
}
