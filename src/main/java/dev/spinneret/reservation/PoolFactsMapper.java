package dev.spinneret.reservation;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.pool.PoolSpec;
import dev.spinneret.selection.PoolFacts;
import dev.spinneret.selection.Selector;
import io.fabric8.kubernetes.api.model.LabelSelector;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** SpiderIPPool (fabric8) → PoolFacts (plain values) for the selection core. */
final class PoolFactsMapper {
    private PoolFactsMapper() {
    }

    static Optional<PoolFacts> facts(SpiderIPPool p) {
        SpiderIPPoolSpec s = p.getSpec();
        return PoolSpec.strictFamily(p).map(family -> new PoolFacts(p.getMetadata().getName(), family,
                Boolean.TRUE.equals(s.isDefault),
                Boolean.TRUE.equals(s.disable), p.isMarkedForDeletion(), list(s.namespaceName),
                selector(s.namespaceAffinity), selector(s.podAffinity), list(s.nodeName), selector(s.nodeAffinity)));
    }

    static Selector selector(LabelSelector ls) {
        if (ls == null) {
            return null;
        }
        List<Selector.Requirement> reqs = new ArrayList<>();
        if (ls.getMatchExpressions() != null) {
            ls.getMatchExpressions().forEach(e -> reqs.add(new Selector.Requirement(e.getKey(), e.getOperator(),
                    e.getValues() == null ? List.of() : e.getValues())));
        }
        return new Selector(ls.getMatchLabels() == null ? Map.of() : ls.getMatchLabels(), reqs);
    }

    private static List<String> list(List<String> l) {
        return l == null ? List.of() : l;
    }
}
