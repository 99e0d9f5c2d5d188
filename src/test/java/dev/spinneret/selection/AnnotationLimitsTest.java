package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.IpFamily;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** Every parsed annotation is bounded, and a value beyond a bound is refused naming the annotation and the bound. */
@Tag("pure")
class AnnotationLimitsTest {
    static void refused(Runnable parse, String... fragments) {
        var e = assertThrows(AnnotationException.class, parse::run);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), e.getMessage());
        }
        assertTrue(e.getMessage().length() < 2 * AnnotationLimits.MAX_VALUE_LENGTH, "the message stays short");
    }

    static String list(int n, Supplier<String> item) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            b.append(i == 0 ? "" : ",").append(item.get());
        }
        return b.append(']').toString();
    }

    @Test
    void longValuesAreRefusedWithoutQuotingThem() {
        String huge = "{\"ipv4\":[\"" + "a".repeat(300_000) + "\"]}";
        refused(() -> IpamAnnotations.ippool(Map.of(IpamAnnotations.IPPOOL, huge), "eth0"), IpamAnnotations.IPPOOL,
                "300013 characters", "at most " + AnnotationLimits.MAX_VALUE_LENGTH);
        refused(() -> IpamAnnotations.ippools(Map.of(IpamAnnotations.IPPOOLS, huge)), IpamAnnotations.IPPOOLS,
                "at most");
        refused(() -> IpamAnnotations.namespaceDefaults(Map.of(IpamAnnotations.NS_DEFAULT_V4, huge), "eth0"),
                IpamAnnotations.NS_DEFAULT_V4, "at most");
        refused(() -> AutoPoolAnnotations.check(Map.of(IpamAnnotations.SUBNET, huge)), IpamAnnotations.SUBNET,
                "at most");
        refused(() -> AutoPoolAnnotations.check(Map.of(AutoPoolAnnotations.RECLAIM, "t".repeat(10_000))),
                AutoPoolAnnotations.RECLAIM, "at most");
        refused(() -> MultusAnnotations.networks(Map.of(MultusAnnotations.NETWORKS, "a,".repeat(10_000) + "a"),
                "default"), MultusAnnotations.NETWORKS, "at most");
    }

    @Test
    void countsAreBounded() {
        int[] i = { 0 };
        String manyIfaces = list(AnnotationLimits.MAX_INTERFACES + 1, () -> "{\"ipv4\":[\"p" + i[0]++ + "\"]}");
        refused(() -> IpamAnnotations.ippools(Map.of(IpamAnnotations.IPPOOLS, manyIfaces)), IpamAnnotations.IPPOOLS,
                (AnnotationLimits.MAX_INTERFACES + 1) + " interfaces", "at most " + AnnotationLimits.MAX_INTERFACES);
        String manyPools = "{\"ipv4\":" + list(AnnotationLimits.MAX_NAMES + 1, () -> "\"p" + i[0]++ + "\"") + "}";
        refused(() -> IpamAnnotations.ippool(Map.of(IpamAnnotations.IPPOOL, manyPools), "eth0"),
                IpamAnnotations.IPPOOL, "pools for one interface and family", "at most " + AnnotationLimits.MAX_NAMES);
        String manyPatterns = "{\"ipv4\":" + list(AnnotationLimits.MAX_PATTERNS + 1, () -> "\"p" + i[0]++ + "-*\"")
                + "}";
        refused(() -> IpamAnnotations.ippool(Map.of(IpamAnnotations.IPPOOL, manyPatterns), "eth0"),
                IpamAnnotations.IPPOOL, "patterns", "at most " + AnnotationLimits.MAX_PATTERNS);
        String manySubnets = list(AnnotationLimits.MAX_INTERFACES + 1,
                () -> "{\"interface\":\"n" + i[0] + "\",\"ipv4\":[\"s" + i[0]++ + "\"]}");
        refused(() -> AutoPoolAnnotations.check(Map.of(IpamAnnotations.SUBNETS, manySubnets)),
                IpamAnnotations.SUBNETS, "interfaces", "at most");
        String manyNetworks = list(AnnotationLimits.MAX_NETWORKS + 1, () -> "{\"name\":\"n" + i[0]++ + "\"}");
        refused(() -> MultusAnnotations.networks(Map.of(MultusAnnotations.NETWORKS, manyNetworks), "default"),
                MultusAnnotations.NETWORKS, "networks", "at most " + AnnotationLimits.MAX_NETWORKS);
        // at the bounds, accepted
        int[] j = { 0 };
        assertEquals(AnnotationLimits.MAX_INTERFACES, IpamAnnotations.ippools(Map.of(IpamAnnotations.IPPOOLS,
                list(AnnotationLimits.MAX_INTERFACES, () -> "{\"ipv4\":[\"p" + j[0]++ + "\"]}"))).size());
        assertEquals(AnnotationLimits.MAX_PATTERNS, IpamAnnotations.ippool(Map.of(IpamAnnotations.IPPOOL,
                "{\"ipv4\":" + list(AnnotationLimits.MAX_PATTERNS, () -> "\"q" + j[0]++ + "-*\"") + "}"), "eth0")
                .ipv4().size());
    }

    @Test
    void deepNestingIsRefused() {
        String deep = "[".repeat(50) + "]".repeat(50);
        refused(() -> IpamAnnotations.ippools(Map.of(IpamAnnotations.IPPOOLS, deep)), IpamAnnotations.IPPOOLS,
                "nested deeper than " + AnnotationLimits.MAX_NESTING_DEPTH);
        refused(() -> MultusAnnotations.networks(Map.of(MultusAnnotations.NETWORKS, deep), "default"),
                MultusAnnotations.NETWORKS, "nested deeper");
    }

    /**
     * The worst a pod may ask for within the bounds — the most patterns, each of the longest pathological shape —
     * against 2,000 pools with the longest names: selection stays well under a second.
     */
    @Test
    void worstSelectionWithinTheBoundsIsQuick() {
        Map<String, PoolFacts> pools = new HashMap<>();
        for (int k = 0; k < 2000; k++) {
            String name = ("a".repeat(240) + k);
            pools.put(name, new PoolFacts(name, IpFamily.V4, false, false, false, List.of(), null, null, List.of(),
                    null));
        }
        List<String> patterns = new java.util.ArrayList<>();
        for (int k = 0; k < AnnotationLimits.MAX_PATTERNS; k++) {
            patterns.add("*a".repeat(120) + "?*Z" + k);
        }
        PodFacts pod = new PodFacts("default", Map.of(), Map.of(), Map.of(), null, Map.of());
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int round = 0; round < 3; round++) {
                assertTrue(PoolSelection.candidates(patterns, IpFamily.V4, pools, pod).pools().isEmpty());
            }
        });
    }
}
