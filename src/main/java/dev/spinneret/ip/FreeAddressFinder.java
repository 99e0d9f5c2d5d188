package dev.spinneret.ip;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Finds free addresses — in {@code available} but not in {@code used} — without enumerating anything.
 *
 * <p>Each search binary-searches both sets, so its cost is O(log ranges) per available range it has to skip
 * (a range skipped because it is entirely used). With a typical pool of a handful of available ranges and 100,000
 * scattered used ranges, a search is a few dozen comparisons.
 *
 * <p>{@link #nextFree} gives least-recently-released reuse when the caller keeps a cursor at the last address
 * handed out: it returns the first free address strictly after the cursor and only wraps to the lowest free address
 * when there is none after it, so an address that was just released (behind the cursor) is reused last.
 *
 * <p>{@code used} may contain addresses outside {@code available} (e.g. after a pool shrank); they are ignored.
 */
public final class FreeAddressFinder {

    private FreeAddressFinder() {
    }

    /**
     * Number of free addresses, {@code |available| - |available ∩ used|}, without building any set. O(ranges).
     */
    public static BigInteger freeCount(IpRangeSet available, IpRangeSet used) {
        requireSameFamily(available, used);
        return available.size().subtract(available.intersectionSize(used));
    }

    /** The lowest free address, or empty when every available address is used. */
    public static Optional<IpAddress> lowestFree(IpRangeSet available, IpRangeSet used) {
        requireSameFamily(available, used);
        return Optional.ofNullable(firstFreeFrom(available, used, 0, 0));
    }

    /**
     * The first free address strictly after {@code cursor}, wrapping around to the lowest free address (which may be
     * the cursor itself); empty when every available address is used. A null cursor means "start at the bottom".
     */
    public static Optional<IpAddress> nextFree(IpRangeSet available, IpRangeSet used, IpAddress cursor) {
        requireSameFamily(available, used);
        if (cursor == null) {
            return lowestFree(available, used);
        }
        requireFamily(available, cursor);
        if (!cursor.isHighest()) {
            IpAddress start = cursor.next();
            IpAddress found = firstFreeFrom(available, used, start.high64(), start.low64());
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.ofNullable(firstFreeFrom(available, used, 0, 0));
    }

    /**
     * {@code n} distinct free addresses in {@link #nextFree} order: starting strictly after {@code cursor}, ascending,
     * wrapping around once. Empty if fewer than {@code n} addresses are free. Work is proportional to {@code n}
     * plus the ranges skipped, never to the size of the pool.
     */
    public static Optional<List<IpAddress>> take(IpRangeSet available, IpRangeSet used, IpAddress cursor, int n) {
        requireSameFamily(available, used);
        if (n < 0) {
            throw new IllegalArgumentException("cannot take " + n + " addresses");
        }
        List<IpAddress> out = new ArrayList<>(Math.min(n, 1024));
        if (n == 0) {
            return Optional.of(List.of());
        }
        if (cursor != null) {
            requireFamily(available, cursor);
            if (!cursor.isHighest()) {
                IpAddress start = cursor.next();
                collect(available, used, start.high64(), start.low64(), null, n, out);
            }
            if (out.size() < n) {
                collect(available, used, 0, 0, cursor, n, out);
            }
        } else {
            collect(available, used, 0, 0, null, n, out);
        }
        return out.size() == n ? Optional.of(Collections.unmodifiableList(out)) : Optional.empty();
    }

    /** Appends free addresses from (hi, lo) upwards, not above {@code limit} (if not null), until out has n. */
    private static void collect(IpRangeSet available, IpRangeSet used, long hi, long lo, IpAddress limit, int n,
            List<IpAddress> out) {
        IpFamily family = available.family();
        long[] seg = new long[4];
        while (out.size() < n && freeSegmentFrom(available, used, hi, lo, seg)) {
            long cHi = seg[0];
            long cLo = seg[1];
            while (out.size() < n) {
                if (limit != null && U128.compare(cHi, cLo, limit.high64(), limit.low64()) > 0) {
                    return;
                }
                out.add(new IpAddress(family, cHi, cLo));
                if (cHi == seg[2] && cLo == seg[3]) {
                    break;
                }
                cLo++;
                if (cLo == 0) {
                    cHi++;
                }
            }
            if (U128.isMax(family, seg[2], seg[3])) {
                return;
            }
            lo = seg[3] + 1;
            hi = lo == 0 ? seg[2] + 1 : seg[2];
        }
    }

    /** The lowest free address >= (hi, lo), or null. */
    static IpAddress firstFreeFrom(IpRangeSet available, IpRangeSet used, long hi, long lo) {
        long[] seg = new long[4];
        return freeSegmentFrom(available, used, hi, lo, seg) ? new IpAddress(available.family(), seg[0], seg[1]) : null;
    }

    /**
     * Finds the lowest maximal run of free addresses whose addresses are >= (hi, lo), cut to start at (hi, lo) if it
     * began earlier, and stores [first.hi, first.lo, last.hi, last.lo] into {@code seg}. Returns false if none.
     */
    static boolean freeSegmentFrom(IpRangeSet available, IpRangeSet used, long hi, long lo, long[] seg) {
        int na = available.rangeCountInternal();
        int nu = used.rangeCountInternal();
        IpFamily family = available.family();
        int i = available.ceilingIndexByLast(hi, lo, 0);
        int j = 0;
        while (i < na) {
            // candidate = max(start, first of available range i)
            if (U128.compare(available.firstHi(i), available.firstLo(i), hi, lo) > 0) {
                hi = available.firstHi(i);
                lo = available.firstLo(i);
            }
            j = used.ceilingIndexByLast(hi, lo, j);
            if (j < nu && U128.compare(used.firstHi(j), used.firstLo(j), hi, lo) <= 0) {
                // candidate is used: jump past the used range (used is merged, so the next address is not used)
                if (U128.isMax(family, used.lastHi(j), used.lastLo(j))) {
                    return false;
                }
                lo = used.lastLo(j) + 1;
                hi = lo == 0 ? used.lastHi(j) + 1 : used.lastHi(j);
                j++;
                if (U128.compare(hi, lo, available.lastHi(i), available.lastLo(i)) > 0) {
                    i = available.ceilingIndexByLast(hi, lo, i + 1);
                    continue;
                }
            }
            // (hi, lo) is free; the run ends at the available range's end or just before the next used range
            seg[0] = hi;
            seg[1] = lo;
            seg[2] = available.lastHi(i);
            seg[3] = available.lastLo(i);
            if (j < nu && U128.compare(used.firstHi(j), used.firstLo(j), seg[2], seg[3]) <= 0) {
                long uLo = used.firstLo(j);
                seg[3] = uLo - 1;
                seg[2] = uLo == 0 ? used.firstHi(j) - 1 : used.firstHi(j);
            }
            return true;
        }
        return false;
    }

    private static void requireSameFamily(IpRangeSet available, IpRangeSet used) {
        Objects.requireNonNull(available, "available");
        Objects.requireNonNull(used, "used");
        if (available.family() != used.family()) {
            throw new IllegalArgumentException("available addresses are " + available.family().displayName()
                    + " but used addresses are " + used.family().displayName());
        }
    }

    private static void requireFamily(IpRangeSet available, IpAddress cursor) {
        if (cursor.family() != available.family()) {
            throw new IllegalArgumentException("cursor " + cursor + " is " + cursor.family().displayName()
                    + " but the pool is " + available.family().displayName());
        }
    }
}
