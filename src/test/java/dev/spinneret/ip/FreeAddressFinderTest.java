package dev.spinneret.ip;

import static dev.spinneret.ip.FreeAddressFinder.lowestFree;
import static dev.spinneret.ip.FreeAddressFinder.nextFree;
import static dev.spinneret.ip.FreeAddressFinder.take;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class FreeAddressFinderTest {

    static IpRangeSet v4(String... items) {
        return IpRangeSet.parse(IpFamily.V4, List.of(items));
    }

    static IpRangeSet v6(String... items) {
        return IpRangeSet.parse(IpFamily.V6, List.of(items));
    }

    static Optional<IpAddress> ip(String s) {
        return Optional.of(IpAddress.parse(s));
    }

    @Test
    void lowestFreeSkipsUsedRanges() {
        IpRangeSet pool = v4("10.0.0.1-10.0.0.10", "10.0.0.20-10.0.0.30");
        assertEquals(ip("10.0.0.1"), lowestFree(pool, v4()));
        assertEquals(ip("10.0.0.4"), lowestFree(pool, v4("10.0.0.0-10.0.0.3")));
        assertEquals(ip("10.0.0.20"), lowestFree(pool, v4("10.0.0.1-10.0.0.15")));
        assertEquals(ip("10.0.0.22"), lowestFree(pool, v4("10.0.0.1-10.0.0.10", "10.0.0.20-10.0.0.21")));
        // a used range that spans the gap between two available ranges
        assertEquals(ip("10.0.0.26"), lowestFree(pool, v4("10.0.0.1-10.0.0.25")));
        assertEquals(Optional.empty(), lowestFree(pool, pool));
        assertEquals(Optional.empty(), lowestFree(pool, v4("0.0.0.0-255.255.255.255")));
        assertEquals(Optional.empty(), lowestFree(v4(), v4()));
    }

    @Test
    void nextFreeWrapsAroundForLeastRecentlyReleasedReuse() {
        IpRangeSet pool = v4("10.0.0.1-10.0.0.5");
        IpRangeSet used = v4("10.0.0.1-10.0.0.2", "10.0.0.4");
        assertEquals(ip("10.0.0.3"), nextFree(pool, used, IpAddress.parse("10.0.0.2")));
        assertEquals(ip("10.0.0.5"), nextFree(pool, used, IpAddress.parse("10.0.0.3")));
        assertEquals(ip("10.0.0.3"), nextFree(pool, used, IpAddress.parse("10.0.0.5"))); // wrap
        assertEquals(ip("10.0.0.3"), nextFree(pool, used, IpAddress.parse("10.0.0.200"))); // cursor outside the pool
        assertEquals(ip("10.0.0.3"), nextFree(pool, used, IpAddress.parse("0.0.0.0")));
        assertEquals(ip("10.0.0.3"), nextFree(pool, used, null));
        // the only free address is the cursor itself: found after wrapping
        IpRangeSet nearlyFull = v4("10.0.0.1-10.0.0.2", "10.0.0.4-10.0.0.5");
        assertEquals(ip("10.0.0.3"), nextFree(pool, nearlyFull, IpAddress.parse("10.0.0.3")));
        assertEquals(Optional.empty(), nextFree(pool, pool, IpAddress.parse("10.0.0.3")));
        // cursor at the very top of the space
        IpRangeSet top = v4("255.255.255.250-255.255.255.255");
        assertEquals(ip("255.255.255.250"), nextFree(top, v4(), IpAddress.parse("255.255.255.255")));
        assertEquals(ip("255.255.255.255"), nextFree(top, v4("255.255.255.250-255.255.255.254"), IpAddress.parse("255.255.255.254")));
        IpRangeSet v6top = v6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
        assertEquals(ip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0"),
                nextFree(v6top, v6(), IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
        assertEquals(Optional.empty(), nextFree(v6top, v6top, IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    }

    @Test
    void simulatedAllocationReusesTheLeastRecentlyReleasedAddress() {
        IpRangeSet pool = v4("10.0.0.1-10.0.0.4");
        AllocationLedger ledger = AllocationLedger.empty(IpFamily.V4);
        IpAddress cursor = null;
        List<String> handedOut = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            IpAddress a = nextFree(pool, ledger.allocated(), cursor).orElseThrow();
            ledger = ledger.with(a, "r" + i);
            cursor = a;
            handedOut.add(a.toString());
        }
        assertEquals(List.of("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"), handedOut);
        assertTrue(nextFree(pool, ledger.allocated(), cursor).isEmpty());
        ledger = ledger.without(IpAddress.parse("10.0.0.3")).without(IpAddress.parse("10.0.0.1"));
        // 10.0.0.3 was released last, 10.0.0.1 first: the lowest address after the cursor wins — 10.0.0.1 after wrapping
        assertEquals(ip("10.0.0.1"), nextFree(pool, ledger.allocated(), cursor));
    }

    @Test
    void ipv6PoolsAcrossWordBoundaries() {
        IpRangeSet pool = v6("fd00::ffff:ffff:ffff:fffe-fd00:0:0:1::2");
        IpRangeSet used = v6("fd00::ffff:ffff:ffff:fffe-fd00::ffff:ffff:ffff:ffff");
        assertEquals(ip("fd00:0:0:1::"), lowestFree(pool, used));
        assertEquals(ip("fd00:0:0:1::1"), nextFree(pool, used, IpAddress.parse("fd00:0:0:1::")));
        assertEquals(List.of(IpAddress.parse("fd00:0:0:1::2"), IpAddress.parse("fd00:0:0:1::"), IpAddress.parse("fd00:0:0:1::1")),
                take(pool, used, IpAddress.parse("fd00:0:0:1::1"), 3).orElseThrow());
    }

    @Test
    void takeIsAllOrNothingAndInCursorOrder() {
        IpRangeSet pool = v4("10.0.0.1-10.0.0.10");
        IpRangeSet used = v4("10.0.0.3-10.0.0.4", "10.0.0.8");
        assertEquals("[10.0.0.9, 10.0.0.10, 10.0.0.1, 10.0.0.2, 10.0.0.5]",
                take(pool, used, IpAddress.parse("10.0.0.7"), 5).orElseThrow().toString());
        assertEquals("[10.0.0.1, 10.0.0.2, 10.0.0.5, 10.0.0.6, 10.0.0.7, 10.0.0.9, 10.0.0.10]",
                take(pool, used, null, 7).orElseThrow().toString());
        assertEquals("[10.0.0.9, 10.0.0.10, 10.0.0.1, 10.0.0.2, 10.0.0.5, 10.0.0.6, 10.0.0.7]",
                take(pool, used, IpAddress.parse("10.0.0.7"), 7).orElseThrow().toString());
        assertEquals(Optional.empty(), take(pool, used, IpAddress.parse("10.0.0.7"), 8));
        assertEquals(Optional.of(List.of()), take(pool, pool, null, 0));
        assertThrows(IllegalArgumentException.class, () -> take(pool, used, null, -1));
    }

    @Test
    void freeCountWithoutBuildingSets() {
        IpRangeSet pool = IpRangeSet.of(Cidr.parse("fd00::/64"));
        IpRangeSet used = v6("fd00::1-fd00::10", "fd00::ffff:ffff:ffff:ffff", "fe00::1-fe00::9");
        assertEquals(java.math.BigInteger.ONE.shiftLeft(64).subtract(java.math.BigInteger.valueOf(17)),
                FreeAddressFinder.freeCount(pool, used));
        assertEquals(java.math.BigInteger.ZERO, FreeAddressFinder.freeCount(pool, pool));
        assertEquals(java.math.BigInteger.valueOf(254),
                FreeAddressFinder.freeCount(v4("10.0.0.1-10.0.0.254"), v4("10.0.1.0-10.0.1.255")));
    }

    @Test
    void familiesMustMatch() {
        assertThrows(IllegalArgumentException.class, () -> lowestFree(v4("10.0.0.1"), v6()));
        assertThrows(IllegalArgumentException.class, () -> nextFree(v4("10.0.0.1"), v4(), IpAddress.parse("fd00::1")));
    }
}
