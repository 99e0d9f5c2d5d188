package dev.spinneret.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class PoolRestrictionsTest {
    @Test
    void namesEachKindOfRestrictionOnce() {
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        assertEquals("none", PoolRestrictions.of(s));
        s.podAffinity = new LabelSelectorBuilder().addToMatchLabels("app", "db").build();
        assertEquals("pod", PoolRestrictions.of(s));
        s.nodeName = List.of("worker-1");
        s.nodeAffinity = new LabelSelectorBuilder().addToMatchLabels("zone", "a").build();
        assertEquals("node,pod", PoolRestrictions.of(s));
        s.namespaceName = List.of();
        assertEquals("node,pod", PoolRestrictions.of(s), "an empty namespaceName restricts nothing");
        s.namespaceAffinity = new LabelSelectorBuilder().build();
        assertEquals("namespace,node,pod", PoolRestrictions.of(s));
    }
}
