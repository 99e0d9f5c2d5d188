package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("pure")
class NodePoolCapacityTest {
    @ParameterizedTest(name = "maxSurge {0} of {1} replicas = {2}")
    @CsvSource(nullValues = "null", value = { "null, 2, 1", "null, 8, 2", "25%, 3, 1", "50%, 3, 2", "0, 5, 0",
            "3, 5, 3", "0%, 4, 0", "x, 4, 0" })
    void surgeAsKubernetesRoundsIt(String maxSurge, int replicas, int surge) {
        assertEquals(surge, NodePoolCapacity.surge(maxSurge, replicas));
    }

    @ParameterizedTest(name = "replicas {0}, surge {1}, before {2}, template changed {3}: {4} new pods")
    @CsvSource(nullValues = "null", value = { "2, 1, null, false, 3", "3, 1, 2, false, 1", "3, 1, 2, true, 2",
            "2, 1, 2, false, 0", "2, 1, 2, true, 1", "1, 1, 4, false, 0" })
    void demandCountsOnlyPodsThatNeedANewAddress(int replicas, int surge, Integer before, boolean changed, int n) {
        assertEquals(n, NodePoolCapacity.demand(replicas, surge, before, changed));
    }

    static final Map<String, PoolFacts> POOLS = NodeBoundPoolsTest.POOLS;

    @Test
    void warnsWhenTheNodeBoundPoolsCannotHoldTheNewPods() {
        Candidates both = new Candidates(List.of("rack-a", "rack-b"), List.of());
        Map<String, Long> free = Map.of("rack-a", 1L, "rack-b", 0L);
        String w = NodePoolCapacity.shortfall("interface eth0, IPv4", both, POOLS, free::get, 3, "replicas 2 + surge 1");
        assertEquals("interface eth0, IPv4: the pools that can serve its pods have 1 free address (rack-a 1"
                + " (node-bound), rack-b 0 (node-bound)) for 3 new pods (replicas 2 + surge 1); pods beyond that are"
                + " refused at creation until addresses are freed", w);
        assertNull(NodePoolCapacity.shortfall("x", both, POOLS, free::get, 1, "replicas 1"), "enough");
        assertNull(NodePoolCapacity.shortfall("x", both, POOLS, free::get, 0, "nothing new"));
        // pools without node rules: the pod webhook's refusal is the usual exhaustion, no topology warning
        assertNull(NodePoolCapacity.shortfall("x", new Candidates(List.of("any"), List.of()), POOLS, n -> 0L, 5, "r"));
        // an unrestricted pool next to a node-bound one adds its free addresses
        assertNull(NodePoolCapacity.shortfall("x", new Candidates(List.of("rack-b", "any"), List.of()), POOLS,
                n -> n.equals("any") ? 4L : 0L, 3, "r"));
        String left = NodePoolCapacity.shortfall("x", new Candidates(List.of("rack-a"), List.of("rack-c: cordoned")),
                POOLS, n -> 0L, 1, "r");
        assertTrue(left.endsWith("; left out: rack-c: cordoned"), left);
    }
}
