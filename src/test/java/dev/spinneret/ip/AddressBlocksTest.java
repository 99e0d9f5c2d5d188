package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class AddressBlocksTest {

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    @Test
    void blockArithmetic() {
        assertEquals(ip("10.1.2.0"), AddressBlocks.blockOf(ip("10.1.2.77")));
        assertEquals(ip("10.1.2.255"), AddressBlocks.lastOf(ip("10.1.2.77")));
        assertEquals("10.1.2.0-10.1.2.255", AddressBlocks.rangeOf(ip("10.1.2.0")).toString());
        assertEquals(ip("fd00::1:200"), AddressBlocks.blockOf(ip("fd00::1:2ff")));
        assertEquals(ip("fd00::1:300"), AddressBlocks.nextBlock(ip("fd00::1:200")));
        assertEquals(ip("fd00::1:0:0:0:0"), AddressBlocks.nextBlock(ip("fd00::ffff:ffff:ffff:ff00")));
        assertNull(AddressBlocks.nextBlock(ip("255.255.255.0")));
        assertTrue(AddressBlocks.isBlockStart(ip("10.0.0.0")));
        assertFalse(AddressBlocks.isBlockStart(ip("10.0.0.1")));
    }

    @Test
    void blocksTouching() {
        IpRangeSet s = IpRangeSet.parse(IpFamily.V4, List.of("10.0.0.250-10.0.1.3", "10.0.1.9", "10.0.3.0-10.0.3.255"));
        assertEquals(List.of(ip("10.0.0.0"), ip("10.0.1.0"), ip("10.0.3.0")), AddressBlocks.blocksTouching(s, 10));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.blocksTouching(s, 2));
        assertEquals(256, AddressBlocks.blocksTouching(IpRangeSet.parse(IpFamily.V4, List.of("10.0.0.0-10.0.255.255")), 256)
                .size());
    }

    @Test
    void splitAndMergeRoundTrip() {
        AllocationLedger l = AllocationLedger.decode(IpFamily.V4,
                "10.0.0.1=a,.255=b,10.0.1.0=c,.7=c,10.0.9.9=d,11.0.0.0=e");
        SortedMap<IpAddress, AllocationLedger> blocks = AddressBlocks.split(l);
        assertEquals(List.of(ip("10.0.0.0"), ip("10.0.1.0"), ip("10.0.9.0"), ip("11.0.0.0")),
                new ArrayList<>(blocks.keySet()));
        assertEquals("10.0.1.0=c,.7=c", blocks.get(ip("10.0.1.0")).encode());
        List<AllocationLedger> shuffled = new ArrayList<>(blocks.values());
        java.util.Collections.reverse(shuffled);
        assertEquals(l, AddressBlocks.merge(IpFamily.V4, shuffled));
        assertTrue(AddressBlocks.merge(IpFamily.V6, List.of()).isEmpty());
        AllocationLedger v6 = AllocationLedger.decode(IpFamily.V6, "fd00::a=x,fd00::1:a=y,:1ff=z");
        assertEquals(3, AddressBlocks.split(v6).size()); // fd00::0-ff, fd00::1:0-ff, fd00::1:100-1ff
        assertEquals(v6, AddressBlocks.merge(IpFamily.V6, AddressBlocks.split(v6).values()));
    }

    @Test
    void mergeRefusesOverlappingBlocks() {
        AllocationLedger a = AllocationLedger.decode(IpFamily.V4, "10.0.0.1=a");
        AllocationLedger b = AllocationLedger.decode(IpFamily.V4, "10.0.0.1=b");
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.merge(IpFamily.V4, List.of(a, b)));
        assertThrows(IllegalArgumentException.class, () -> AddressBlocks.merge(IpFamily.V6, List.of(a)));
    }

    /** The block walk gives exactly what the whole-ledger search gives, on random pools and cursors. */
    @Test
    void nextFreeAgreesWithTheWholeLedgerSearch() {
        Random rnd = new Random(15);
        for (int round = 0; round < 300; round++) {
            IpFamily fam = round % 2 == 0 ? IpFamily.V4 : IpFamily.V6;
            String base = fam == IpFamily.V4 ? "10.0." : "fd00::";
            List<String> ranges = new ArrayList<>();
            int at = rnd.nextInt(300);
            for (int r = 0; r < 1 + rnd.nextInt(4); r++) {
                int len = 1 + rnd.nextInt(700);
                ranges.add(addr(fam, base, at) + "-" + addr(fam, base, at + len - 1));
                at += len + rnd.nextInt(600);
            }
            IpRangeSet handOut = IpRangeSet.parse(fam, ranges);
            Map<IpAddress, String> entries = new HashMap<>();
            int fill = rnd.nextInt(4);
            for (int i = 0; i < at; i++) {
                if (fill == 3 || rnd.nextInt(4) < fill) {
                    entries.put(ip(addr(fam, base, i)), "r" + i);
                }
            }
            AllocationLedger ledger = AllocationLedger.of(fam, entries);
            SortedMap<IpAddress, AllocationLedger> blocks = AddressBlocks.split(ledger);
            AtomicInteger calls = new AtomicInteger();
            IpAddress cursor = rnd.nextBoolean() ? null : ip(addr(fam, base, rnd.nextInt(at + 1)));
            Optional<IpAddress> expected = FreeAddressFinder.nextFree(handOut, ledger.allocated(), cursor);
            Optional<IpAddress> got = AddressBlocks.nextFree(handOut, b -> {
                calls.incrementAndGet();
                AllocationLedger bl = blocks.get(b);
                return bl == null ? null : bl.allocated();
            }, cursor);
            assertEquals(expected, got, "round " + round + " handOut " + handOut + " cursor " + cursor);
            assertTrue(calls.get() <= 2 * (blocks.size() + ranges.size()) + 2, "visited too many blocks");
        }
    }

    private static String addr(IpFamily fam, String base, int i) {
        return fam == IpFamily.V4 ? base + (i / 256) + "." + (i % 256) : base + Integer.toHexString(i);
    }
}
