package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * Compares the range-based implementation against a naive BitSet/TreeMap reference over small windows of 1,024
 * addresses, placed at the bottom, middle and top of both address spaces and across the IPv6 64-bit word boundary.
 */
@Tag("pure")
class RandomizedReferenceTest {

    static final int W = 1024;

    static final List<IpAddress> WINDOWS = List.of(
            IpAddress.parse("10.0.0.0"),
            IpAddress.parse("0.0.0.0"),
            IpAddress.parse("255.255.252.0"),
            IpAddress.parse("10.0.254.0"), // crosses /24 boundaries mid-window
            IpAddress.parse("fd00::"),
            IpAddress.parse("fd00::ffff:ffff:ffff:fe00"), // crosses the 64-bit word boundary
            IpAddress.parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fc00"),
            IpAddress.parse("::"));

    /** A random set both as an IpRangeSet and as a BitSet of offsets from the window base. */
    record Pair(IpRangeSet set, BitSet bits) {
    }

    static IpAddress at(IpAddress base, int offset) {
        return base.plus(offset);
    }

    static int off(IpAddress base, IpAddress a) {
        return a.offsetFrom(base).intValueExact();
    }

    static Pair randomSet(Random rnd, IpAddress base) {
        BitSet bits = new BitSet(W);
        List<IpRange> ranges = new ArrayList<>();
        int style = rnd.nextInt(5);
        switch (style) {
            case 0 -> { } // empty
            case 1 -> { // a few long ranges
                int k = 1 + rnd.nextInt(4);
                for (int i = 0; i < k; i++) {
                    int a = rnd.nextInt(W);
                    int b = Math.min(W - 1, a + rnd.nextInt(W / 2));
                    ranges.add(IpRange.of(at(base, a), at(base, b)));
                    bits.set(a, b + 1);
                }
            }
            case 2 -> { // many short ranges, overlapping and touching
                int k = rnd.nextInt(60);
                for (int i = 0; i < k; i++) {
                    int a = rnd.nextInt(W);
                    int b = Math.min(W - 1, a + rnd.nextInt(6));
                    ranges.add(IpRange.of(at(base, a), at(base, b)));
                    bits.set(a, b + 1);
                }
            }
            case 3 -> { // scattered singles with a random density
                double p = rnd.nextDouble();
                for (int i = 0; i < W; i++) {
                    if (rnd.nextDouble() < p) {
                        ranges.add(IpRange.single(at(base, i)));
                        bits.set(i);
                    }
                }
            }
            default -> { // the whole window, maybe with the edges cut
                int a = rnd.nextBoolean() ? 0 : rnd.nextInt(4);
                int b = W - 1 - (rnd.nextBoolean() ? 0 : rnd.nextInt(4));
                ranges.add(IpRange.of(at(base, a), at(base, b)));
                bits.set(a, b + 1);
            }
        }
        IpRangeSet set;
        switch (ranges.size() > 64 ? rnd.nextInt(2) : rnd.nextInt(3)) {
            case 0 -> set = IpRangeSet.of(base.family(), ranges);
            case 1 -> { // through the ips syntax, shuffled
                List<String> items = new ArrayList<>();
                for (IpRange r : ranges) {
                    items.add(r.toString());
                }
                java.util.Collections.shuffle(items, rnd);
                set = IpRangeSet.parse(base.family(), items);
            }
            default -> { // by repeated union (small sets only: it is quadratic)
                set = IpRangeSet.empty(base.family());
                for (IpRange r : ranges) {
                    set = set.union(IpRangeSet.of(r));
                }
            }
        }
        return new Pair(set, bits);
    }

    static BitSet toBits(IpAddress base, IpRangeSet set) {
        BitSet bits = new BitSet(W);
        IpRange previous = null;
        for (IpRange r : set.ranges()) {
            IpRange prev = previous;
            int a = off(base, r.first());
            int b = off(base, r.last());
            assertTrue(a >= 0 && b < W && a <= b, () -> "range inside the window: " + r);
            if (prev != null) {
                assertTrue(r.first().offsetFrom(prev.last()).compareTo(BigInteger.ONE) > 0,
                        () -> "ranges are sorted, disjoint and merged: " + prev + " then " + r);
            }
            bits.set(a, b + 1);
            previous = r;
        }
        return bits;
    }

    static void assertSame(IpAddress base, BitSet expected, IpRangeSet actual, String what) {
        assertEquals(expected, toBits(base, actual), what);
        assertEquals(BigInteger.valueOf(expected.cardinality()), actual.size(), what + " size");
        assertEquals(expected.cardinality(), actual.sizeSaturatedLong(), what + " size");
        assertEquals(expected.isEmpty(), actual.isEmpty(), what + " isEmpty");
    }

    @Test
    void setAlgebraMatchesBitSets() {
        Random rnd = new Random(20261126L);
        for (int c = 0; c < 4000; c++) {
            IpAddress base = WINDOWS.get(c % WINDOWS.size());
            Pair a = randomSet(rnd, base);
            Pair b = randomSet(rnd, base);
            String ctx = "case " + c + " a=" + a.set.summary(8) + " b=" + b.set.summary(8);

            assertSame(base, a.bits, a.set, ctx + " a");
            BitSet union = (BitSet) a.bits.clone();
            union.or(b.bits);
            assertSame(base, union, a.set.union(b.set), ctx + " union");
            BitSet inter = (BitSet) a.bits.clone();
            inter.and(b.bits);
            assertSame(base, inter, a.set.intersect(b.set), ctx + " intersect");
            BitSet minus = (BitSet) a.bits.clone();
            minus.andNot(b.bits);
            assertSame(base, minus, a.set.minus(b.set), ctx + " minus");

            assertEquals(BigInteger.valueOf(inter.cardinality()), a.set.intersectionSize(b.set), ctx + " intersectionSize");
            assertEquals(a.bits.intersects(b.bits), a.set.overlaps(b.set), ctx + " overlaps");
            BitSet bNotA = (BitSet) b.bits.clone();
            bNotA.andNot(a.bits);
            assertEquals(bNotA.isEmpty(), a.set.containsAll(b.set), ctx + " containsAll");
            for (int k = 0; k < 16; k++) {
                int o = rnd.nextInt(W);
                assertEquals(a.bits.get(o), a.set.contains(at(base, o)), ctx + " contains " + o);
            }
            // equal sets have equal representations, and the ips form round-trips
            assertEquals(a.set, IpRangeSet.parse(base.family(), a.set.toStrings()), ctx);
            assertEquals(a.set, a.set.union(a.set.intersect(b.set)), ctx);
        }
    }

    static Optional<IpAddress> referenceNextFree(IpAddress base, BitSet free, Integer cursor) {
        int from = cursor == null ? 0 : cursor + 1;
        int i = from < W ? free.nextSetBit(from) : -1;
        if (i < 0) {
            i = free.nextSetBit(0);
        }
        return i < 0 ? Optional.empty() : Optional.of(at(base, i));
    }

    @Test
    void freeAddressSearchMatchesBitSets() {
        Random rnd = new Random(42);
        for (int c = 0; c < 4000; c++) {
            IpAddress base = WINDOWS.get(c % WINDOWS.size());
            Pair available = randomSet(rnd, base);
            Pair used = randomSet(rnd, base);
            BitSet free = (BitSet) available.bits.clone();
            free.andNot(used.bits);
            String ctx = "case " + c + " available=" + available.set.summary(8) + " used=" + used.set.summary(8);

            assertEquals(referenceNextFree(base, free, null), FreeAddressFinder.lowestFree(available.set, used.set), ctx);
            assertEquals(BigInteger.valueOf(free.cardinality()), FreeAddressFinder.freeCount(available.set, used.set), ctx);
            for (int k = 0; k < 8; k++) {
                int cursor = switch (k) {
                    case 0 -> 0;
                    case 1 -> W - 1;
                    default -> rnd.nextInt(W);
                };
                assertEquals(referenceNextFree(base, free, cursor),
                        FreeAddressFinder.nextFree(available.set, used.set, at(base, cursor)), ctx + " cursor " + cursor);
            }
            // take(n): the first n of the free addresses after the cursor, wrapping once
            int cursor = rnd.nextInt(W);
            List<IpAddress> order = new ArrayList<>();
            for (int i = free.nextSetBit(cursor + 1); i >= 0; i = free.nextSetBit(i + 1)) {
                order.add(at(base, i));
            }
            for (int i = free.nextSetBit(0); i >= 0 && i <= cursor; i = free.nextSetBit(i + 1)) {
                order.add(at(base, i));
            }
            int n = rnd.nextInt(order.size() + 3);
            Optional<List<IpAddress>> expected = n <= order.size() ? Optional.of(order.subList(0, n)) : Optional.empty();
            assertEquals(expected, FreeAddressFinder.take(available.set, used.set, at(base, cursor), n), ctx + " take " + n);
        }
    }

    // ------------------------------------------------------------------ ledger

    static String naiveEncode(TreeMap<IpAddress, String> entries) {
        StringBuilder sb = new StringBuilder();
        IpAddress previous = null;
        for (Map.Entry<IpAddress, String> e : entries.entrySet()) {
            IpAddress a = e.getKey();
            if (previous != null) {
                sb.append(',');
            }
            byte[] b = a.toBytes();
            boolean samePrefix = false;
            if (previous != null) {
                byte[] p = previous.toBytes();
                int keep = a.isIPv4() ? 3 : 14;
                samePrefix = java.util.Arrays.equals(b, 0, keep, p, 0, keep);
            }
            if (samePrefix && a.isIPv4()) {
                sb.append('.').append(b[3] & 0xFF);
            } else if (samePrefix) {
                sb.append(':').append(Integer.toHexString(((b[14] & 0xFF) << 8) | (b[15] & 0xFF)));
            } else {
                sb.append(a);
            }
            sb.append('=').append(e.getValue());
            previous = a;
        }
        return sb.toString();
    }

    @Test
    void ledgerMatchesTreeMap() {
        Random rnd = new Random(7);
        String[] ids = {"a", "b1", "pod0", "zz99aa00", "x0123456789abcde", "k2x9a0b1"};
        for (int c = 0; c < 2000; c++) {
            IpAddress base = WINDOWS.get(c % WINDOWS.size());
            TreeMap<IpAddress, String> reference = new TreeMap<>();
            AllocationLedger ledger = AllocationLedger.empty(base.family());
            int ops = rnd.nextInt(300);
            int span = 1 + rnd.nextInt(W); // small spans give dense ledgers with many short forms
            for (int k = 0; k < ops; k++) {
                IpAddress a = at(base, rnd.nextInt(span));
                String id = ids[rnd.nextInt(ids.length)];
                int op = rnd.nextInt(10);
                if (op < 6) {
                    String owner = reference.get(a);
                    if (owner == null || owner.equals(id)) {
                        reference.put(a, id);
                        ledger = ledger.with(a, id);
                    } else {
                        AllocationLedger l = ledger;
                        assertEquals(IllegalArgumentException.class, org.junit.jupiter.api.Assertions.assertThrows(
                                IllegalArgumentException.class, () -> l.with(a, id)).getClass());
                    }
                } else if (op < 9) {
                    reference.remove(a);
                    ledger = ledger.without(a);
                } else {
                    reference.values().removeIf(id::equals);
                    ledger = ledger.withoutReservation(id);
                }
            }
            String ctx = "case " + c;
            assertEquals(reference, ledger.asMap(), ctx);
            assertEquals(reference.size(), ledger.size(), ctx);
            String encoded = ledger.encode();
            assertEquals(naiveEncode(reference), encoded, ctx);
            AllocationLedger decoded = AllocationLedger.decode(base.family(), encoded);
            assertEquals(ledger, decoded, ctx);
            assertEquals(reference, decoded.asMap(), ctx);
            assertEquals(AllocationLedger.of(base.family(), reference), decoded, ctx);
            assertEquals(IpRangeSet.ofAddresses(base.family(), reference.keySet()), decoded.allocated(), ctx);
            for (String id : ids) {
                List<IpAddress> expected = new ArrayList<>();
                reference.forEach((a, owner) -> {
                    if (owner.equals(id)) {
                        expected.add(a);
                    }
                });
                assertEquals(expected, decoded.addressesOf(id), ctx + " " + id);
            }
            for (int k = 0; k < 8; k++) {
                IpAddress a = at(base, rnd.nextInt(W));
                assertEquals(Optional.ofNullable(reference.get(a)), decoded.owner(a), ctx);
            }
        }
    }

    @Test
    void corruptedLedgersFailOnlyWithIpFormatException() {
        Random rnd = new Random(99);
        String alphabet = "0123456789abcdefz.:=,- ";
        int accepted = 0;
        for (int c = 0; c < 4000; c++) {
            IpAddress base = WINDOWS.get(c % WINDOWS.size());
            TreeMap<IpAddress, String> m = new TreeMap<>();
            for (int k = rnd.nextInt(20); k > 0; k--) {
                m.put(at(base, rnd.nextInt(600)), Integer.toString(rnd.nextInt(1000), 36));
            }
            StringBuilder s = new StringBuilder(naiveEncode(m));
            for (int k = 1 + rnd.nextInt(3); k > 0; k--) {
                int pos = s.length() == 0 ? 0 : rnd.nextInt(s.length() + 1);
                char ch = alphabet.charAt(rnd.nextInt(alphabet.length()));
                switch (rnd.nextInt(3)) {
                    case 0 -> s.insert(pos, ch);
                    case 1 -> { if (pos < s.length()) { s.deleteCharAt(pos); } }
                    default -> { if (pos < s.length()) { s.setCharAt(pos, ch); } }
                }
            }
            try {
                AllocationLedger l = AllocationLedger.decode(base.family(), s.toString());
                // whatever is accepted is a valid ledger that round-trips
                assertEquals(l, AllocationLedger.decode(base.family(), l.encode()));
                accepted++;
            } catch (IpFormatException expected) {
                assertTrue(expected.getMessage().startsWith("invalid allocation ledger: entry "), expected.getMessage());
            } catch (RuntimeException e) {
                fail("decode(" + s + ") threw " + e, e);
            }
        }
        assertTrue(accepted > 0 && accepted < 4000, "some corruptions stay valid, most do not: " + accepted);
    }

    static final java.util.regex.Pattern FIVE_HEX_DIGITS = java.util.regex.Pattern.compile("[0-9a-fA-F]{5}");

    @Test
    void addressParsingAgreesWithStrictReferences() throws Exception {
        Random rnd = new Random(4291);
        java.util.regex.Pattern v4 = java.util.regex.Pattern.compile(
                "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
        String v4Alphabet = "0123456789..";
        String v6Alphabet = "0123456789abcdefABCDEF::::::g";
        for (int c = 0; c < 20000; c++) {
            boolean six = rnd.nextBoolean();
            String alphabet = six ? v6Alphabet : v4Alphabet;
            StringBuilder sb = new StringBuilder();
            for (int k = 1 + rnd.nextInt(six ? 24 : 16); k > 0; k--) {
                sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
            }
            String text = sb.toString();
            boolean ours;
            try {
                IpAddress a = IpAddress.parse(text);
                ours = true;
                assertEquals(a, IpAddress.parse(a.toString()), text);
            } catch (IpFormatException e) {
                ours = false;
            }
            if (!six) {
                assertEquals(v4.matcher(text).matches(), ours, text);
            } else if (text.indexOf(':') >= 0 && !FIVE_HEX_DIGITS.matcher(text).find()) {
                // the JDK accepts groups of more than 4 digits when the value fits (e.g. 06ede); RFC 4291 and Go don't
                boolean jdk;
                try {
                    jdk = java.net.InetAddress.getByName(text).getAddress().length > 0;
                } catch (java.net.UnknownHostException e) {
                    jdk = false;
                }
                assertEquals(jdk, ours, text);
            }
        }
    }
}
