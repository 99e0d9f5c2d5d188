package dev.spinneret.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.IntUnaryOperator;

import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.FreeAddressFinder;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRange;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.ip.LedgerFixtures;

/**
 * Micro-benchmark of the address core (no JMH): warms up, then times each call with System.nanoTime and prints the
 * median and 99th percentile in microseconds. Run with
 * {@code mvn -q test-compile && java -cp target/test-classes:target/classes dev.spinneret.bench.AddressCoreBench}.
 */
public final class AddressCoreBench {

    private static long sink;

    public static void main(String[] args) {
        System.out.printf(Locale.ROOT, "AddressCoreBench — java %s, %d cpus%n", System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-62s %12s %12s%n", "operation", "median µs", "p99 µs");

        Random rnd = new Random(1);

        // ---------------------------------------------------------------- /8 IPv4 pool, 100,000 scattered used
        IpRangeSet pool8 = IpRangeSet.of(Cidr.parse("10.0.0.0/8"));
        IpRangeSet used8 = scattered(rnd, IpAddress.parse("10.0.0.0"), 1 << 24, 100_000);
        IpAddress[] in8 = cursors(rnd, IpAddress.parse("10.0.0.0"), 1 << 24);
        report("nextFree /8 IPv4, " + used8.rangeCount() + " used ranges (random cursor)",
                20_000, 200_000, i -> nextFree(pool8, used8, pick(in8, i)));
        IpRangeSet everyOther8 = everyOther(IpAddress.parse("10.0.0.0"), 100_000);
        IpAddress[] inFirst200k = cursors(rnd, IpAddress.parse("10.0.0.0"), 200_000);
        report("nextFree /8 IPv4, every other of first 200,000 used",
                20_000, 200_000, i -> nextFree(pool8, everyOther8, pick(inFirst200k, i)));

        // ---------------------------------------------------------------- /64 IPv6 pool, 100,000 scattered used
        IpAddress v6base = IpAddress.parse("fd00::");
        IpRangeSet pool64 = IpRangeSet.of(Cidr.parse("fd00::/64"));
        IpRangeSet used64 = scattered(rnd, v6base, 1 << 30, 100_000);
        IpAddress[] in64 = cursors(rnd, v6base, 1 << 30);
        report("nextFree /64 IPv6, " + used64.rangeCount() + " used ranges (random cursor)",
                20_000, 200_000, i -> nextFree(pool64, used64, pick(in64, i)));
        IpRangeSet everyOther64 = everyOther(v6base, 100_000);
        IpAddress[] in64First200k = cursors(rnd, v6base, 200_000);
        report("nextFree /64 IPv6, every other of first 200,000 used",
                20_000, 200_000, i -> nextFree(pool64, everyOther64, pick(in64First200k, i)));

        // ---------------------------------------------------------------- /24 pool
        IpRangeSet pool24 = IpRangeSet.parse(IpFamily.V4, List.of("10.1.2.1-10.1.2.254"));
        IpRangeSet used24 = everyOther(IpAddress.parse("10.1.2.1"), 127).minus(IpRangeSet.parse(IpFamily.V4,
                List.of("10.1.2.200")));
        IpAddress[] in24 = cursors(rnd, IpAddress.parse("10.1.2.0"), 256);
        report("nextFree /24 IPv4, " + used24.rangeCount() + " used ranges", 20_000, 200_000,
                i -> nextFree(pool24, used24, pick(in24, i)));
        IpRangeSet full24 = pool24.minus(IpRangeSet.parse(IpFamily.V4, List.of("10.1.2.77")));
        IpAddress[] in24b = cursors(rnd, IpAddress.parse("10.1.2.0"), 256);
        report("nextFree /24 IPv4, 1 free address left", 20_000, 200_000,
                i -> nextFree(pool24, full24, pick(in24b, i)));
        IpAddress[] in8b = cursors(rnd, IpAddress.parse("10.0.0.0"), 1 << 24);
        report("take(10) /8 IPv4, " + used8.rangeCount() + " used ranges", 20_000, 100_000,
                i -> FreeAddressFinder.take(pool8, used8, pick(in8b, i), 10)
                        .orElseThrow().size());

        // ---------------------------------------------------------------- counting
        report("size() of a /8", 20_000, 200_000, i -> pool8.size().bitLength());
        report("size() of a /64", 20_000, 200_000, i -> pool64.size().bitLength());
        IpRangeSet free8 = pool8.minus(used8);
        IpRangeSet free64 = pool64.minus(used64);
        report("size() of /8 minus 100,000 used (" + free8.rangeCount() + " ranges)", 200, 2_000,
                i -> free8.size().bitLength());
        report("sizeSaturatedLong() of /64 minus 100,000 used", 200, 2_000, i -> (int) free64.sizeSaturatedLong());
        report("freeCount(): /8 pool, 100,000 used ranges (no set built)", 200, 2_000,
                i -> FreeAddressFinder.freeCount(pool8, used8).intValue());
        report("freeCount(): /64 pool, 100,000 used ranges (no set built)", 200, 2_000,
                i -> FreeAddressFinder.freeCount(pool64, used64).bitLength());
        report("minus(): /8 minus 100,000 used ranges", 50, 500, i -> pool8.minus(used8).rangeCount());
        IpAddress[] in8c = cursors(rnd, IpAddress.parse("10.0.0.0"), 1 << 24);
        report("contains() in 100,000 ranges", 20_000, 200_000,
                i -> used8.contains(pick(in8c, i)) ? 1 : 0);

        // ---------------------------------------------------------------- ledger
        for (IpAddress start : List.of(IpAddress.parse("10.0.0.0"), v6base)) {
            for (int step : new int[] {1, 2}) {
                AllocationLedger ledger = LedgerFixtures.ledger(start, 65_536, step);
                String encoded = ledger.encode();
                String label = start.family().displayName() + (step == 1 ? " consecutive" : " every-other");
                report("ledger decode+encode 65,536 " + label, 30, 300,
                        i -> AllocationLedger.decode(start.family(), encoded).encode().length());
                report("ledger decode 65,536 " + label, 30, 300,
                        i -> AllocationLedger.decode(start.family(), encoded).size());
                report("ledger allocated() 65,536 " + label, 30, 300, i -> ledger.allocated().rangeCount());
            }
        }
        AllocationLedger big = LedgerFixtures.ledger(IpAddress.parse("10.0.0.0"), 65_536, 2);
        report("ledger with()+without() on 65,536 entries", 200, 2_000,
                i -> big.with(IpAddress.parse("10.0.0.1"), "newpod01").without(IpAddress.parse("10.0.0.2")).size());

        // ---------------------------------------------------------------- sizes
        System.out.println();
        System.out.println("encoded ledger sizes, 65,536 entries (bytes):");
        for (int idLength : new int[] {8, 16}) {
            for (IpAddress start : List.of(IpAddress.parse("10.0.0.0"), v6base)) {
                for (int step : new int[] {1, 2}) {
                    AllocationLedger l = idLength == 8 ? LedgerFixtures.ledger(start, 65_536, step)
                            : withIds(start, 65_536, step, idLength);
                    int bytes = l.encode().length();
                    System.out.printf(Locale.ROOT, "  %-4s %-12s ids of %2d chars: %,9d bytes (%.2f MiB)%n",
                            start.family().displayName(), step == 1 ? "consecutive" : "every-other", idLength, bytes,
                            bytes / 1048576.0);
                }
            }
        }
        System.out.println("(sink " + sink + ")");
    }

    private static int nextFree(IpRangeSet pool, IpRangeSet used, IpAddress cursor) {
        return FreeAddressFinder.nextFree(pool, used, cursor).orElseThrow().hashCode();
    }

    private static final int CURSORS = 4096;

    /** Random cursors in [base, base + span), precomputed so that timing covers only the operation. */
    private static IpAddress[] cursors(Random rnd, IpAddress base, int span) {
        IpAddress[] c = new IpAddress[CURSORS];
        for (int i = 0; i < CURSORS; i++) {
            c[i] = base.plus(rnd.nextInt(span));
        }
        return c;
    }

    private static IpAddress pick(IpAddress[] cursors, int i) {
        return cursors[i & (CURSORS - 1)];
    }

    /** {@code count} distinct, non-adjacent random addresses in [base, base + span). */
    private static IpRangeSet scattered(Random rnd, IpAddress base, int span, int count) {
        int[] offsets = rnd.ints(0, span / 2).distinct().limit(count).toArray();
        Arrays.sort(offsets);
        List<IpRange> ranges = new ArrayList<>(count);
        for (int o : offsets) {
            ranges.add(IpRange.single(base.plus(2L * o)));
        }
        return IpRangeSet.of(base.family(), ranges);
    }

    /** base, base+2, base+4, ... ({@code count} addresses, {@code count} ranges). */
    private static IpRangeSet everyOther(IpAddress base, int count) {
        List<IpRange> ranges = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ranges.add(IpRange.single(base.plus(2L * i)));
        }
        return IpRangeSet.of(base.family(), ranges);
    }

    private static AllocationLedger withIds(IpAddress start, int count, int step, int idLength) {
        TreeMap<IpAddress, String> m = new TreeMap<>();
        Random rnd = new Random(idLength);
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        IpAddress a = start;
        char[] id = new char[idLength];
        for (int i = 0; i < count; i++) {
            for (int k = 0; k < idLength; k++) {
                id[k] = chars.charAt(rnd.nextInt(chars.length()));
            }
            m.put(a, new String(id));
            a = a.plus(step);
        }
        return AllocationLedger.of(start.family(), m);
    }

    private static void report(String name, int warmup, int iterations, IntUnaryOperator op) {
        for (int i = 0; i < warmup; i++) {
            sink += op.applyAsInt(i);
        }
        long[] t = new long[iterations];
        for (int i = 0; i < iterations; i++) {
            long s = System.nanoTime();
            sink += op.applyAsInt(i);
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        System.out.printf(Locale.ROOT, "%-62s %12.3f %12.3f%n", name, t[iterations / 2] / 1000.0,
                t[(int) (iterations * 0.99)] / 1000.0);
    }
}
