package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class AutoPoolSizingTest {
    static IpRangeSet v4(String... items) {
        return IpRangeSet.parse(IpFamily.V4, List.of(items));
    }

    @Test
    void growTakesTheLowestFreeAddressesAndKeepsWhatThePoolHas() {
        IpRangeSet free = v4("10.0.0.1-10.0.0.3", "10.0.0.10-10.0.0.20");
        assertEquals(List.of("10.0.0.1-10.0.0.3", "10.0.0.10-10.0.0.11"),
                AutoPoolSizing.grow(IpRangeSet.empty(IpFamily.V4), free, 5).orElseThrow().toStrings());
        IpRangeSet pool = v4("10.0.0.50-10.0.0.51");
        assertEquals(List.of("10.0.0.1", "10.0.0.50-10.0.0.51"), AutoPoolSizing.grow(pool, free, 3).orElseThrow()
                .toStrings());
        assertEquals(pool, AutoPoolSizing.grow(pool, free, 1).orElseThrow(), "never shrinks");
        assertFalse(AutoPoolSizing.grow(pool, free, 20).isPresent(), "14 free + 2 held < 20");
    }

    @Test
    void shrinkGivesBackOnlyFreeAddressesHighestFirst() {
        IpRangeSet pool = v4("10.0.0.1-10.0.0.6");
        IpRangeSet allocated = v4("10.0.0.2", "10.0.0.6");
        assertEquals(List.of("10.0.0.1-10.0.0.3", "10.0.0.6"), AutoPoolSizing.shrink(pool, allocated, 4).toStrings());
        IpRangeSet least = AutoPoolSizing.shrink(pool, allocated, 0);
        assertEquals(List.of("10.0.0.2", "10.0.0.6"), least.toStrings(), "in-use addresses stay even below desired");
        assertEquals(pool, AutoPoolSizing.shrink(pool, allocated, 6));
        assertEquals(pool, AutoPoolSizing.shrink(pool, allocated, 9));
    }

    @Test
    void poolSizeIsFixedOrReplicasPlusN() {
        assertEquals(new PoolSize(true, 3), PoolSize.parse("+3", "+1"));
        assertEquals(new PoolSize(false, 4), PoolSize.parse("4", "+1"));
        assertEquals(new PoolSize(true, 1), PoolSize.parse(null, "+1"));
        assertEquals(5, PoolSize.parse("+3", "+1").desired(OptionalInt.of(2), "Deployment a/b"));
        assertEquals(4, PoolSize.parse("4", "+1").desired(OptionalInt.empty(), "CloneSet a/b"));
        AnnotationException e = assertThrows(AnnotationException.class,
                () -> PoolSize.parse("+2", "+1").desired(OptionalInt.empty(), "CloneSet a/b"));
        assertTrue(e.getMessage().contains("CloneSet a/b") && e.getMessage().contains("fixed size"), e.getMessage());
        assertThrows(AnnotationException.class, () -> PoolSize.parse("++2", "+1"));
        assertThrows(AnnotationException.class, () -> PoolSize.parse("-1", "+1"));
        assertEquals("+3", PoolSize.parse("+3", "1").toString());
    }

    @Test
    void subnetAnnotationsPreferSubnetsAndTakeTheFirstNamePerFamily() {
        assertEquals(List.of(new SubnetRequest("eth0", "s4", "s6")), SubnetAnnotations.requests(Map.of(
                IpamAnnotations.SUBNET, "{\"ipv4\":[\"s4\",\"other\"],\"ipv6\":[\"s6\"]}")));
        assertEquals(List.of(new SubnetRequest("eth0", "a", null), new SubnetRequest("net1", null, "b")),
                SubnetAnnotations.requests(Map.of(IpamAnnotations.SUBNET, "{\"ipv4\":[\"ignored\"]}",
                        IpamAnnotations.SUBNETS, "[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},"
                                + "{\"interface\":\"net1\",\"ipv6\":[\"b\"]}]")));
        assertTrue(SubnetAnnotations.requests(Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"p\"]}")).isEmpty());
        AnnotationException e = assertThrows(AnnotationException.class, () -> SubnetAnnotations.requests(Map.of(
                IpamAnnotations.SUBNET, "{\"ipv4\":\"s4\"}")));
        assertTrue(e.getMessage().contains("'{\"ipv4\":\"s4\"}'") && e.getMessage().contains("expected"));
    }

    @Test
    void reclaimDefaultsToTrue() {
        assertTrue(AutoPoolAnnotations.reclaim(Map.of()));
        assertTrue(AutoPoolAnnotations.reclaim(Map.of(AutoPoolAnnotations.RECLAIM, "true")));
        assertFalse(AutoPoolAnnotations.reclaim(Map.of(AutoPoolAnnotations.RECLAIM, "false")));
    }
}
