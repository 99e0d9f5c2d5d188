package dev.spinneret.selection;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Whether the pools a workload names for one interface and family can hold the pods it is about to ask for, when
 * some of them are tied to nodes (issue 25: capacity follows topology). Pods beyond the free addresses are refused
 * at creation, one by one, by the pod webhook; this says so once, when the workload is applied.
 */
public final class NodePoolCapacity {
    private NodePoolCapacity() {
    }

    /**
     * A RollingUpdate Deployment's {@code maxSurge}: a count, or a percentage of the replicas rounded up (as
     * Kubernetes does); null means the default, 25%.
     */
    public static int surge(String maxSurge, int replicas) {
        String v = maxSurge == null ? "25%" : maxSurge.strip();
        try {
            if (v.endsWith("%")) {
                int pct = Integer.parseInt(v.substring(0, v.length() - 1).strip());
                return (int) Math.ceil(replicas * pct / 100.0);
            }
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return 0; // the API server refuses such a value anyway
        }
    }

    /**
     * How many pods will need a new address because of this apply: every replica plus the surge for a new workload;
     * for a changed one, the replicas added and, when its pod template changes (a rollout), the surge. Pods that
     * exist keep their addresses.
     *
     * @param before the replicas before the change, or null for a new workload
     */
    public static int demand(int replicas, int surge, Integer before, boolean templateChanged) {
        if (before == null) {
            return replicas + surge;
        }
        return Math.max(0, replicas - before) + (templateChanged ? surge : 0);
    }

    /**
     * The warning for one interface and family, or null when no candidate pool is node-bound or their free
     * addresses cover {@code demand}.
     *
     * @param what e.g. "interface eth0, IPv4"
     * @param why e.g. "replicas 2 + surge 1"
     */
    public static String shortfall(String what, Candidates c, Map<String, PoolFacts> pools, ToLongFunction<String> free,
            int demand, String why) {
        if (demand <= 0 || c.pools().stream().noneMatch(n -> pools.get(n).nodeRestricted())) {
            return null;
        }
        long total = 0;
        List<String> each = new ArrayList<>();
        for (String n : c.pools()) {
            long f = free.applyAsLong(n);
            total += f;
            each.add(n + " " + f + (pools.get(n).nodeRestricted() ? " (node-bound)" : ""));
        }
        if (total >= demand) {
            return null;
        }
        return what + ": the pools that can serve its pods have " + total + " free address" + (total == 1 ? "" : "es")
                + " (" + String.join(", ", each) + ") for " + demand + " new pod" + (demand == 1 ? "" : "s") + " ("
                + why + "); pods beyond that are refused at creation until addresses are freed"
                + (c.rejected().isEmpty() ? "" : "; left out: " + String.join("; ", c.rejected()));
    }
}
