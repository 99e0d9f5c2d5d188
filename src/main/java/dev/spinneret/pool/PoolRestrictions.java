package dev.spinneret.pool;

import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.ArrayList;
import java.util.List;

/** Which selectors of a pool limit who may use it, as {@code status.restrictedBy} shows them. Pure. */
public final class PoolRestrictions {
    private PoolRestrictions() {
    }

    /** {@code namespace}, {@code node}, {@code pod} (in that order, comma-separated) or {@code none}. */
    public static String of(SpiderIPPoolSpec spec) {
        List<String> by = new ArrayList<>();
        if (present(spec.namespaceName) || present(spec.namespaceAffinity)) {
            by.add("namespace");
        }
        if (present(spec.nodeName) || present(spec.nodeAffinity)) {
            by.add("node");
        }
        if (present(spec.podAffinity)) {
            by.add("pod");
        }
        return by.isEmpty() ? "none" : String.join(",", by);
    }

    private static boolean present(List<String> names) {
        return names != null && !names.isEmpty();
    }

    /** Set at all, as selection reads it (a pool with any nodeAffinity serves only pods pinned to a node). */
    private static boolean present(LabelSelector s) {
        return s != null;
    }
}
