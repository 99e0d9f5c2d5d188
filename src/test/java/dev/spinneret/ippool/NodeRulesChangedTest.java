package dev.spinneret.ippool;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("pure")
class NodeRulesChangedTest {
    static SpiderIPPool pool(String rack, List<String> nodeName, Long allocated) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("rack-pool").build());
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        s.subnet = "10.0.0.0/24";
        s.nodeAffinity = rack == null ? null : new LabelSelectorBuilder().addToMatchLabels("rack", rack).build();
        s.nodeName = nodeName;
        p.setSpec(s);
        SpiderIPPoolStatus st = new SpiderIPPoolStatus();
        st.allocatedIPCount = allocated;
        p.setStatus(st);
        return p;
    }

    @Test
    void warnsOnlyWhenTheNodeRulesOfAPoolWithAllocationsChange() {
        String w = IpPoolValidator.nodeRulesChanged(pool("a", null, 3L), pool("b", null, 3L));
        assertTrue(w.startsWith("SpiderIPPool rack-pool: spec.nodeName/spec.nodeAffinity changed while 3 of its"
                + " addresses are allocated") && w.contains("error 108"), w);
        assertTrue(IpPoolValidator.nodeRulesChanged(pool(null, null, 1L), pool(null, List.of("n1"), 1L)) != null,
                "a pool that becomes node-bound");
        assertNull(IpPoolValidator.nodeRulesChanged(pool("a", null, 3L), pool("a", null, 3L)), "unchanged");
        assertNull(IpPoolValidator.nodeRulesChanged(pool("a", null, 0L), pool("b", null, 0L)), "nothing allocated");
        assertNull(IpPoolValidator.nodeRulesChanged(pool("a", null, null), pool("b", null, null)), "no counts yet");
    }
}
