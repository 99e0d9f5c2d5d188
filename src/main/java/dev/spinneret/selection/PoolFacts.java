package dev.spinneret.selection;

import dev.spinneret.ip.IpFamily;
import java.util.List;

/** What selection needs to know about one SpiderIPPool. Null selectors and empty lists mean "no restriction". */
public record PoolFacts(String name, IpFamily family, boolean isDefault, boolean disabled, boolean terminating,
        List<String> namespaceName, Selector namespaceAffinity, Selector podAffinity, List<String> nodeName,
        Selector nodeAffinity) {

    public boolean nodeRestricted() {
        return !nodeName.isEmpty() || nodeAffinity != null;
    }

    /** Whether the pool serves node {@code n}: {@code nodeName} lists it, or (no nodeName) nodeAffinity matches it. */
    public boolean serves(NodeFacts n) {
        if (!nodeName.isEmpty()) {
            return nodeName.contains(n.name());
        }
        return nodeAffinity == null || nodeAffinity.matches(n.labels());
    }
}
