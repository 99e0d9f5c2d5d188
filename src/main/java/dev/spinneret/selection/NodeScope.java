package dev.spinneret.selection;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * The nodes a pod may still run on, as far as admission can tell, and so which node-bound pools (a pool with
 * {@code nodeName} or {@code nodeAffinity}) may serve it. Three kinds:
 * <ul>
 * <li><b>pinned</b>: the node is known at admission ({@code spec.nodeName}, a hostname node selector, a DaemonSet
 * pod); a node-bound pool serves it only if it serves that node;</li>
 * <li><b>open</b>: the scheduler places the pod later and Spinneret may narrow where (the pod webhook adds the
 * chosen pools' node rules to the pod's required node affinity): a node-bound pool serves it if one of the pool's
 * nodes can take the pod — the pod's own node selector and affinity admit it, it is not cordoned, the pod tolerates
 * its taints, and no pool already chosen for another interface of the pod excludes it;</li>
 * <li><b>unknown</b>: the node is not known and the pod can no longer be changed (reserved after creation): no
 * node-bound pool serves it.</li>
 * </ul>
 * Immutable; {@link #narrowedTo} gives the scope left once a pool is chosen.
 */
public final class NodeScope {
    private static final int LISTED = 5;

    private final String pinned;
    private final Map<String, String> pinnedLabels;
    /** open scope, worked out on first use (a pod that meets no node-bound pool never lists the nodes). */
    private final Supplier<Open> open;

    /**
     * Every node, in name order; why the pod can never go to some ({@code excluded}); why it would not be scheduled
     * today on some it may go to ({@code repelled}: cordon, taint).
     */
    private record Open(Map<String, NodeFacts> nodes, Map<String, String> excluded, Map<String, String> repelled) {
    }

    private NodeScope(String pinned, Map<String, String> pinnedLabels, Supplier<Open> open) {
        this.pinned = pinned;
        this.pinnedLabels = pinnedLabels;
        this.open = open;
    }

    public static NodeScope unknown() {
        return new NodeScope(null, Map.of(), null);
    }

    public static NodeScope pinned(String node, Map<String, String> labels) {
        return new NodeScope(node, labels == null ? Map.of() : labels, null);
    }

    /** A pod the scheduler places later, with these rules of its own, in a cluster with these nodes. */
    public static NodeScope open(Supplier<? extends Collection<NodeFacts>> all, NodeConstraints pod) {
        return new NodeScope(null, Map.of(), memoized(() -> {
            Map<String, NodeFacts> nodes = new TreeMap<>();
            Map<String, String> excluded = new LinkedHashMap<>();
            Map<String, String> repelled = new LinkedHashMap<>();
            all.get().forEach(n -> nodes.put(n.name(), n));
            for (NodeFacts n : nodes.values()) {
                if (!pod.admits(n)) {
                    excluded.put(n.name(), "the pod's nodeSelector/node affinity excludes it");
                    continue;
                }
                String why = pod.whyRepelled(n);
                if (why != null) {
                    repelled.put(n.name(), why);
                }
            }
            return new Open(nodes, excluded, repelled);
        }));
    }

    private static Supplier<Open> memoized(Supplier<Open> s) {
        Open[] once = new Open[1];
        return () -> {
            if (once[0] == null) {
                once[0] = s.get();
            }
            return once[0];
        };
    }

    /** The scheduler chooses the node, and Spinneret may add node rules to the pod. */
    public boolean isOpen() {
        return open != null;
    }

    public String pinnedNode() {
        return pinned;
    }

    /**
     * Why pool {@code p} cannot serve this pod, or null if it can. A pool with no node restriction serves every pod.
     *
     * @param lenient also accept a pool whose nodes admit the pod but repel it today (cordoned, tainted): a
     *        StatefulSet pod's earlier pool, which it keeps rather than lose its address while a rack is drained
     */
    public String whyNot(PoolFacts p, boolean lenient) {
        if (!p.nodeRestricted()) {
            return null;
        }
        if (pinned != null) {
            if (!p.nodeName().isEmpty()) {
                return p.nodeName().contains(pinned) ? null
                        : "spec.nodeName " + p.nodeName() + " does not include node " + pinned;
            }
            return p.nodeAffinity().matches(pinnedLabels) ? null
                    : "spec.nodeAffinity (" + p.nodeAffinity() + ") does not match node " + pinned;
        }
        if (open == null) {
            return "it is restricted to some nodes, and this pod's node is not known and can no longer be"
                    + " constrained (set spec.nodeName or a kubernetes.io/hostname nodeSelector)";
        }
        Open o = open.get();
        List<String> served = served(o, p);
        List<String> why = new ArrayList<>();
        for (String n : served) {
            String ex = o.excluded().get(n);
            String rep = o.repelled().get(n);
            if (ex == null && (rep == null || lenient)) {
                return null;
            }
            why.add(n + ": " + (ex != null ? ex : rep));
        }
        String rule = !p.nodeName().isEmpty() ? "spec.nodeName " + p.nodeName()
                : "spec.nodeAffinity (" + p.nodeAffinity() + ")";
        if (served.isEmpty()) {
            return rule + " matches no node of the cluster";
        }
        String listed = String.join("; ", why.subList(0, Math.min(LISTED, why.size())))
                + (why.size() > LISTED ? "; and " + (why.size() - LISTED) + " more" : "");
        return rule + ": none of its nodes can take this pod (" + listed + ")";
    }

    /** The scope left once {@code p} serves the pod: only the nodes it serves. */
    public NodeScope narrowedTo(PoolFacts p) {
        if (open == null || !p.nodeRestricted()) {
            return this;
        }
        Supplier<Open> before = open;
        return new NodeScope(null, Map.of(), memoized(() -> {
            Open o = before.get();
            Map<String, String> excluded = new LinkedHashMap<>(o.excluded());
            List<String> served = served(o, p);
            for (String n : o.nodes().keySet()) {
                if (!served.contains(n)) {
                    excluded.putIfAbsent(n, "not a node of SpiderIPPool " + p.name() + ", chosen for this pod");
                }
            }
            return new Open(o.nodes(), excluded, o.repelled());
        }));
    }

    private static List<String> served(Open o, PoolFacts p) {
        List<String> out = new ArrayList<>();
        for (NodeFacts n : o.nodes().values()) {
            if (p.serves(n)) {
                out.add(n.name());
            }
        }
        return out;
    }
}
