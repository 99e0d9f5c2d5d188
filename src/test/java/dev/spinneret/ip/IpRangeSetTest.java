package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class IpRangeSetTest {

    static IpRangeSet v4(String... items) {
        return IpRangeSet.parse(IpFamily.V4, List.of(items));
    }

    static IpRangeSet v6(String... items) {
        return IpRangeSet.parse(IpFamily.V6, List.of(items));
    }

    @Test
    void parseMergesSortsAndNormalises() {
        IpRangeSet s = v4("10.0.0.20-10.0.0.30", "10.0.0.1", "10.0.0.2-10.0.0.5", "10.0.0.7", "10.0.0.6", "10.0.0.25-10.0.0.40",
                "10.0.0.42");
        assertEquals(List.of("10.0.0.1-10.0.0.7", "10.0.0.20-10.0.0.40", "10.0.0.42"), s.toStrings());
        assertEquals(3, s.rangeCount());
        assertEquals(BigInteger.valueOf(7 + 21 + 1), s.size());
        assertEquals(29, s.sizeSaturatedLong());
        assertEquals("[10.0.0.1-10.0.0.7, 10.0.0.20-10.0.0.40, 10.0.0.42]", s.toString());
        assertEquals(IpRange.parse("10.0.0.42"), s.ranges().get(2));
        assertEquals("10.0.0.1", s.lowest().orElseThrow().toString());
        assertEquals("10.0.0.42", s.highest().orElseThrow().toString());
        // single-address ranges print as a, and ranges that become single after merging do too
        assertEquals(List.of("10.0.0.1"), v4("10.0.0.1-10.0.0.1", "10.0.0.1").toStrings());
        assertEquals(List.of("fd00::a-fd00::c"), v6("fd00::a", "fd00::c", "FD00::B").toStrings());
        assertTrue(v4().isEmpty());
        assertTrue(IpRangeSet.parse(IpFamily.V4, null).isEmpty());
        assertEquals(List.of(), v4().toStrings());
        assertEquals(BigInteger.ZERO, v4().size());
        assertTrue(v4().lowest().isEmpty());
    }

    @Test
    void parseErrorsNameTheItemAndIndex() {
        assertEquals("ips[2]: \"10.0.0.300\" is not a valid IPv4 address: octet 300 is greater than 255",
                assertThrows(IpFormatException.class, () -> v4("10.0.0.1", "10.0.0.2-10.0.0.5", "10.0.0.300")).getMessage());
        assertEquals("ips[1]: \"fd00::1\" is not a valid IPv4 address: it is an IPv6 address",
                assertThrows(IpFormatException.class, () -> v4("10.0.0.1", "fd00::1")).getMessage());
        assertEquals("ips[0]: \"10.0.0.9-10.0.0.1\" is not a valid IPv4 range: first address 10.0.0.9 must not be greater than last address 10.0.0.1",
                assertThrows(IpFormatException.class, () -> v4("10.0.0.9-10.0.0.1")).getMessage());
        assertEquals("excludeIPs[1]: \"\" is not a valid IPv6 address: it is empty",
                assertThrows(IpFormatException.class,
                        () -> IpRangeSet.parse(IpFamily.V6, List.of("fd00::1", ""), "excludeIPs")).getMessage());
        List<String> withNull = new ArrayList<>(Arrays.asList("10.0.0.1", null));
        assertEquals("ips[1]: null is not a valid IPv4 range: it is missing (null)",
                assertThrows(IpFormatException.class, () -> IpRangeSet.parse(IpFamily.V4, withNull)).getMessage());
    }

    @Test
    void hugeSetsAreAHandfulOfRanges() {
        IpRangeSet slash8 = IpRangeSet.of(Cidr.parse("10.0.0.0/8"));
        assertEquals(1, slash8.rangeCount());
        assertEquals(BigInteger.valueOf(1 << 24), slash8.size());
        IpRangeSet slash64 = IpRangeSet.of(Cidr.parse("fd00::/64"));
        assertEquals(BigInteger.ONE.shiftLeft(64), slash64.size());
        assertEquals(Long.MAX_VALUE, slash64.sizeSaturatedLong());
        IpRangeSet holes = slash64.minus(v6("fd00::5", "fd00::10-fd00::1f", "fd00::ffff:ffff:ffff:ffff"));
        assertEquals(List.of("fd00::-fd00::4", "fd00::6-fd00::f", "fd00::20-fd00::ffff:ffff:ffff:fffe"), holes.toStrings());
        assertEquals(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.valueOf(18)), holes.size());
    }

    @Test
    void countingPast2To63() {
        // exactly 2^63 and just around it
        IpRangeSet half = IpRangeSet.of(Cidr.parse("fd00::/65"));
        assertEquals(BigInteger.ONE.shiftLeft(63), half.size());
        assertEquals(Long.MAX_VALUE, half.sizeSaturatedLong());
        IpRangeSet justBelow = half.minus(v6("fd00::"));
        assertEquals(BigInteger.ONE.shiftLeft(63).subtract(BigInteger.ONE), justBelow.size());
        assertEquals(Long.MAX_VALUE, justBelow.sizeSaturatedLong());
        IpRangeSet below = justBelow.minus(v6("fd00::1"));
        assertEquals(Long.MAX_VALUE - 1, below.sizeSaturatedLong());
        // several /64s add up past 2^64, and the whole space is 2^128
        IpRangeSet four = IpRangeSet.of(Cidr.parse("fd00::/62")).minus(v6("fd00:0:0:1::-fd00:0:0:1:ffff:ffff:ffff:ffff"));
        assertEquals(2, four.rangeCount());
        assertEquals(BigInteger.valueOf(3).shiftLeft(64), four.size());
        IpRangeSet all = IpRangeSet.of(Cidr.parse("::/0"));
        assertEquals(BigInteger.ONE.shiftLeft(128), all.size());
        IpRangeSet allButOne = all.minus(v6("8000::"));
        assertEquals(2, allButOne.rangeCount());
        assertEquals(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE), allButOne.size());
        assertEquals(BigInteger.ONE.shiftLeft(32), IpRangeSet.of(Cidr.parse("0.0.0.0/0")).size());
        assertEquals(1L << 32, IpRangeSet.of(Cidr.parse("0.0.0.0/0")).sizeSaturatedLong());
    }

    @Test
    void algebra() {
        IpRangeSet a = v4("10.0.0.1-10.0.0.10", "10.0.0.20-10.0.0.30");
        IpRangeSet b = v4("10.0.0.5-10.0.0.22", "10.0.0.30-10.0.0.31");
        assertEquals(List.of("10.0.0.1-10.0.0.31"), a.union(b).toStrings());
        assertEquals(List.of("10.0.0.5-10.0.0.10", "10.0.0.20-10.0.0.22", "10.0.0.30"), a.intersect(b).toStrings());
        assertEquals(a.intersect(b), a.intersection(b));
        assertEquals(List.of("10.0.0.1-10.0.0.4", "10.0.0.23-10.0.0.29"), a.minus(b).toStrings());
        assertEquals(List.of("10.0.0.11-10.0.0.19", "10.0.0.31"), b.minus(a).toStrings());
        assertTrue(a.overlaps(b));
        assertFalse(a.overlaps(v4("10.0.0.11-10.0.0.19", "10.0.0.31")));
        assertTrue(a.containsAll(v4("10.0.0.1", "10.0.0.3-10.0.0.10", "10.0.0.30")));
        assertFalse(a.containsAll(v4("10.0.0.1", "10.0.0.3-10.0.0.11")));
        assertTrue(a.containsAll(v4()));
        assertFalse(v4().containsAll(a));
        assertTrue(a.contains(IpAddress.parse("10.0.0.20")));
        assertFalse(a.contains(IpAddress.parse("10.0.0.19")));
        assertFalse(a.contains(IpAddress.parse("fd00::1")));
        assertTrue(a.contains(IpRange.parse("10.0.0.2-10.0.0.9")));
        assertFalse(a.contains(IpRange.parse("10.0.0.2-10.0.0.29")));
        // adjacency coalesces
        assertEquals(List.of("10.0.0.1-10.0.0.30"), a.union(v4("10.0.0.11-10.0.0.19")).toStrings());
        // identities
        assertSame(a, a.union(v4()));
        assertSame(a, a.minus(v4()));
        assertTrue(a.minus(a).isEmpty());
        assertTrue(a.intersect(v4()).isEmpty());
        assertEquals(a, a.union(a));
        assertEquals(a, a.intersect(a));
        // families never mix
        assertThrows(IllegalArgumentException.class, () -> a.union(v6("fd00::1")));
        assertThrows(IllegalArgumentException.class, () -> a.minus(v6("fd00::1")));
        assertThrows(IllegalArgumentException.class, () -> a.intersect(v6("fd00::1")));
        assertThrows(IllegalArgumentException.class, () -> a.overlaps(v6("fd00::1")));
        assertThrows(IllegalArgumentException.class, () -> IpRangeSet.of(IpFamily.V4, List.of(IpRange.parse("fd00::1"))));
    }

    @Test
    void edgesOfTheAddressSpace() {
        IpRangeSet top = v4("255.255.255.250-255.255.255.255");
        assertEquals(List.of("255.255.255.250-255.255.255.254"), top.minus(v4("255.255.255.255")).toStrings());
        assertEquals(List.of("255.255.255.251-255.255.255.255"), top.minus(v4("255.255.255.250")).toStrings());
        assertEquals(List.of("0.0.0.0-255.255.255.255"),
                v4("0.0.0.0-127.255.255.255").union(v4("128.0.0.0-255.255.255.255")).toStrings());
        IpRangeSet v6top = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assertEquals(BigInteger.valueOf(16), v6top.size());
        assertEquals(List.of("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe"),
                v6top.minus(v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")).toStrings());
        // crossing the 64-bit word boundary
        IpRangeSet cross = v6("fd00::ffff:ffff:ffff:fffe-fd00:0:0:1::1");
        assertEquals(BigInteger.valueOf(4), cross.size());
        assertEquals(List.of("fd00::ffff:ffff:ffff:fffe-fd00::ffff:ffff:ffff:ffff", "fd00:0:0:1::1"),
                cross.minus(v6("fd00:0:0:1::")).toStrings());
        assertEquals(List.of("fd00::ffff:ffff:ffff:fffe-fd00:0:0:1::1"),
                v6("fd00::ffff:ffff:ffff:fffe-fd00::ffff:ffff:ffff:ffff").union(v6("fd00:0:0:1::-fd00:0:0:1::1")).toStrings());
    }

    @Test
    void withinCidrAndSummary() {
        Cidr cidr = Cidr.parse("10.244.0.0/16");
        assertTrue(v4("10.244.0.1-10.244.0.9", "10.244.255.255").withinCidr(cidr));
        assertFalse(v4("10.244.0.1-10.245.0.0").withinCidr(cidr));
        assertFalse(v4("10.243.255.255", "10.244.0.1").withinCidr(cidr));
        assertTrue(v4().withinCidr(cidr));
        assertFalse(v6("fd00::1").withinCidr(cidr));
        IpRangeSet s = v4("10.0.0.1", "10.0.0.3-10.0.0.4", "10.0.0.6", "10.0.0.8", "10.0.0.10");
        assertEquals("10.0.0.1, 10.0.0.3-10.0.0.4 and 3 more ranges", s.summary(2));
        assertEquals("10.0.0.1, 10.0.0.3-10.0.0.4, 10.0.0.6, 10.0.0.8 and 1 more range", s.summary(4));
        assertEquals("10.0.0.1, 10.0.0.3-10.0.0.4, 10.0.0.6, 10.0.0.8, 10.0.0.10", s.summary(5));
        assertEquals("(none)", v4().summary(3));
        assertEquals(List.of("10.243.255.255", "10.245.0.0-10.245.0.3"),
                v4("10.243.255.255", "10.244.0.1", "10.244.255.255-10.245.0.3").outside(cidr).toStrings());
        assertEquals(List.of("fd00::1"), v6("fd00::1").outside(cidr).toStrings());
    }

    @Test
    void buildFromAddressesAndRanges() {
        List<IpAddress> addrs = new ArrayList<>();
        for (int i = 10; i >= 0; i--) {
            addrs.add(IpAddress.parse("10.0.0." + (i * 2 % 12)));
        }
        assertEquals(List.of("10.0.0.0", "10.0.0.2", "10.0.0.4", "10.0.0.6", "10.0.0.8", "10.0.0.10"),
                IpRangeSet.ofAddresses(IpFamily.V4, addrs).toStrings());
        assertEquals(v4("10.0.0.0-10.0.0.9"), IpRangeSet.of(IpFamily.V4,
                List.of(IpRange.parse("10.0.0.5-10.0.0.9"), IpRange.parse("10.0.0.0-10.0.0.4"))));
        assertEquals(v4("10.0.0.0-10.0.0.9").hashCode(), IpRangeSet.of(IpRange.parse("10.0.0.0-10.0.0.9")).hashCode());
        assertThrows(IllegalArgumentException.class, () -> IpRangeSet.ofAddresses(IpFamily.V6, List.of(IpAddress.parse("10.0.0.1"))));
    }

    @Test
    void lowestAndHighestAddressesTakeAcrossRangesWithoutEnumerating() {
        IpRangeSet s = v4("10.0.0.1-10.0.0.3", "10.0.0.10", "10.0.0.20-10.0.0.29");
        assertEquals(List.of("10.0.0.1-10.0.0.3", "10.0.0.10"), s.lowestAddresses(4).toStrings());
        assertEquals(List.of("10.0.0.1-10.0.0.2"), s.lowestAddresses(2).toStrings());
        assertEquals(List.of("10.0.0.27-10.0.0.29"), s.highestAddresses(3).toStrings());
        assertEquals(List.of("10.0.0.10", "10.0.0.20-10.0.0.29"), s.highestAddresses(11).toStrings());
        assertEquals(s, s.lowestAddresses(100));
        assertTrue(s.highestAddresses(0).isEmpty());
        IpRangeSet huge = IpRangeSet.of(Cidr.parse("fd00::/64"));
        assertEquals(List.of("fd00::-fd00::4"), huge.lowestAddresses(5).toStrings());
        assertEquals(List.of("fd00::ffff:ffff:ffff:fffe-fd00::ffff:ffff:ffff:ffff"),
                huge.highestAddresses(2).toStrings());
    }
}
