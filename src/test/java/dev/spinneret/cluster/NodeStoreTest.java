package dev.spinneret.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.TaintBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("pure")
class NodeStoreTest {
    @Test
    void keepsWhatPlacementReadsAndDropsStatus() {
        Node in = new NodeBuilder().withNewMetadata().withName("node-a").withResourceVersion("7")
                .withLabels(Map.of("rack", "a")).withAnnotations(Map.of("big", "x".repeat(1000))).endMetadata()
                .withNewSpec().withUnschedulable(true).withPodCIDR("10.0.0.0/24")
                .withTaints(new TaintBuilder().withKey("k").withValue("v").withEffect("NoSchedule").build()).endSpec()
                .withNewStatus().addNewImage().withNames("registry/some-image:1").endImage().endStatus().build();
        NodeStore store = new NodeStore();
        store.put("node-a", in);
        Node t = store.get("node-a");
        assertEquals("node-a", t.getMetadata().getName());
        assertEquals("7", t.getMetadata().getResourceVersion());
        assertEquals(Map.of("rack", "a"), t.getMetadata().getLabels());
        assertTrue(t.getMetadata().getAnnotations() == null || t.getMetadata().getAnnotations().isEmpty());
        assertEquals(true, t.getSpec().getUnschedulable());
        assertEquals(List.of("k"), t.getSpec().getTaints().stream().map(x -> x.getKey()).toList());
        assertNull(t.getSpec().getPodCIDR());
        assertNull(t.getStatus());
        assertEquals(1, store.size());
    }
}
