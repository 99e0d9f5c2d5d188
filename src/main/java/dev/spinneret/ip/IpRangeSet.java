package dev.spinneret.ip;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable set of addresses of one family, held as sorted, disjoint, merged ranges: two ranges that touch
 * ({@code a-b}, {@code b+1-c}) are always coalesced, so equal sets have equal range lists. Nothing here enumerates
 * addresses: a {@code /8} or a {@code /64} is one range; set operations are linear merges over the ranges and
 * lookups are binary searches.
 *
 * <p>Ranges are stored in one {@code long[]}, four words per range: first.high, first.low, last.high, last.low.
 */
public final class IpRangeSet {

    private static final IpRangeSet EMPTY_V4 = new IpRangeSet(IpFamily.V4, new long[0]);
    private static final IpRangeSet EMPTY_V6 = new IpRangeSet(IpFamily.V6, new long[0]);

    private final IpFamily family;
    private final long[] r;

    IpRangeSet(IpFamily family, long[] r) {
        this.family = family;
        this.r = r;
    }

    // ---------------------------------------------------------------- factories

    public static IpRangeSet empty(IpFamily family) {
        return Objects.requireNonNull(family, "family") == IpFamily.V4 ? EMPTY_V4 : EMPTY_V6;
    }

    public static IpRangeSet of(IpRange range) {
        RangeSetBuilder b = new RangeSetBuilder(range.family(), 1);
        b.add(range.first().high64(), range.first().low64(), range.last().high64(), range.last().low64());
        return b.build();
    }

    public static IpRangeSet of(Cidr cidr) {
        return of(cidr.asRange());
    }

    /** The union of {@code ranges} (in any order, overlapping or not), all of {@code family}. */
    public static IpRangeSet of(IpFamily family, Collection<IpRange> ranges) {
        IpRange[] sorted = ranges.toArray(new IpRange[0]);
        for (IpRange range : sorted) {
            requireFamily(family, range.family());
        }
        Arrays.sort(sorted);
        RangeSetBuilder b = new RangeSetBuilder(family, sorted.length);
        for (IpRange range : sorted) {
            b.add(range.first().high64(), range.first().low64(), range.last().high64(), range.last().low64());
        }
        return b.build();
    }

    /** The set of the given addresses (any order, duplicates allowed), all of {@code family}. */
    public static IpRangeSet ofAddresses(IpFamily family, Collection<IpAddress> addresses) {
        IpAddress[] sorted = addresses.toArray(new IpAddress[0]);
        for (IpAddress a : sorted) {
            requireFamily(family, a.family());
        }
        Arrays.sort(sorted);
        RangeSetBuilder b = new RangeSetBuilder(family, 16);
        for (IpAddress a : sorted) {
            b.add(a.high64(), a.low64(), a.high64(), a.low64());
        }
        return b.build();
    }

    /** Parses a Spiderpool {@code ips} list; errors name the item as {@code ips[i]}. */
    public static IpRangeSet parse(IpFamily family, List<String> items) {
        return parse(family, items, "ips");
    }

    /**
     * Parses a list in Spiderpool {@code ips} syntax (each item {@code a} or {@code a-b}) into a merged set.
     * Overlapping and adjacent items are allowed and coalesce.
     *
     * @param field the field name used in messages, e.g. {@code excludeIPs}
     * @throws IpFormatException naming the bad item and its index, e.g.
     *                           {@code ips[2]: "10.0.0.300" is not a valid IPv4 address: octet 300 is greater than 255}
     */
    public static IpRangeSet parse(IpFamily family, List<String> items, String field) {
        Objects.requireNonNull(family, "family");
        if (items == null || items.isEmpty()) {
            return empty(family);
        }
        List<IpRange> ranges = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            String item = items.get(i);
            try {
                ranges.add(IpRange.parse(family, item));
            } catch (IpFormatException e) {
                throw new IpFormatException(field + "[" + i + "]: " + e.getMessage());
            }
        }
        return of(family, ranges);
    }

    private static void requireFamily(IpFamily expected, IpFamily actual) {
        if (expected != actual) {
            throw new IllegalArgumentException("expected " + expected.displayName() + " but got " + actual.displayName());
        }
    }

    // ---------------------------------------------------------------- raw access (package)

    int rangeCountInternal() {
        return r.length >> 2;
    }

    long firstHi(int i) {
        return r[i << 2];
    }

    long firstLo(int i) {
        return r[(i << 2) + 1];
    }

    long lastHi(int i) {
        return r[(i << 2) + 2];
    }

    long lastLo(int i) {
        return r[(i << 2) + 3];
    }

    /** Largest i with first(i) <= x, or -1. */
    int floorIndex(long hi, long lo) {
        int low = 0;
        int high = rangeCountInternal() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (U128.compare(firstHi(mid), firstLo(mid), hi, lo) <= 0) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return high;
    }

    /** Smallest i >= from with last(i) >= x, or rangeCount() if none. */
    int ceilingIndexByLast(long hi, long lo, int from) {
        int low = from;
        int high = rangeCountInternal() - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            if (U128.compare(lastHi(mid), lastLo(mid), hi, lo) < 0) {
                low = mid + 1;
            } else {
                high = mid - 1;
            }
        }
        return low;
    }

    private IpAddress firstAddress(int i) {
        return new IpAddress(family, firstHi(i), firstLo(i));
    }

    private IpAddress lastAddress(int i) {
        return new IpAddress(family, lastHi(i), lastLo(i));
    }

    // ---------------------------------------------------------------- queries

    public IpFamily family() {
        return family;
    }

    public boolean isEmpty() {
        return r.length == 0;
    }

    /** Number of (merged) ranges. */
    public int rangeCount() {
        return rangeCountInternal();
    }

    /** The merged ranges in ascending order. */
    public List<IpRange> ranges() {
        int n = rangeCountInternal();
        List<IpRange> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(IpRange.of(firstAddress(i), lastAddress(i)));
        }
        return Collections.unmodifiableList(out);
    }

    /** The normalised Spiderpool {@code ips} form: {@code a} for a single address, {@code a-b} for a range. */
    public List<String> toStrings() {
        int n = rangeCountInternal();
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(rangeText(i));
        }
        return Collections.unmodifiableList(out);
    }

    private String rangeText(int i) {
        IpAddress f = firstAddress(i);
        if (firstHi(i) == lastHi(i) && firstLo(i) == lastLo(i)) {
            return f.toString();
        }
        return f + "-" + lastAddress(i);
    }

    /** Number of addresses (up to 2^128). */
    public BigInteger size() {
        return sum().value();
    }

    /** Number of addresses, or {@link Long#MAX_VALUE} if it does not fit in a long (status counters). */
    public long sizeSaturatedLong() {
        return sum().saturatedLong();
    }

    private U128.Sum sum() {
        U128.Sum s = new U128.Sum();
        int n = rangeCountInternal();
        if (family == IpFamily.V4) {
            // at most 2^32 addresses: a plain long cannot overflow
            long total = 0;
            for (int i = 0; i < n; i++) {
                total += lastLo(i) - firstLo(i) + 1;
            }
            s.addCount(total);
            return s;
        }
        for (int i = 0; i < n; i++) {
            s.addRange(firstHi(i), firstLo(i), lastHi(i), lastLo(i));
        }
        return s;
    }

    public Optional<IpAddress> lowest() {
        return isEmpty() ? Optional.empty() : Optional.of(firstAddress(0));
    }

    public Optional<IpAddress> highest() {
        return isEmpty() ? Optional.empty() : Optional.of(lastAddress(rangeCountInternal() - 1));
    }

    /** The {@code n} lowest addresses of the set (all of it when it has fewer), without enumerating the rest. */
    public IpRangeSet lowestAddresses(long n) {
        List<IpRange> out = new ArrayList<>();
        long left = n;
        for (IpRange range : ranges()) {
            if (left <= 0) {
                break;
            }
            BigInteger size = range.size();
            if (size.compareTo(BigInteger.valueOf(left)) <= 0) {
                out.add(range);
                left -= size.longValueExact();
            } else {
                out.add(IpRange.of(range.first(), range.first().plus(left - 1)));
                left = 0;
            }
        }
        return of(family, out);
    }

    /** The {@code n} highest addresses of the set (all of it when it has fewer). */
    public IpRangeSet highestAddresses(long n) {
        List<IpRange> out = new ArrayList<>();
        long left = n;
        List<IpRange> all = ranges();
        for (int i = all.size() - 1; i >= 0 && left > 0; i--) {
            IpRange range = all.get(i);
            BigInteger size = range.size();
            if (size.compareTo(BigInteger.valueOf(left)) <= 0) {
                out.add(range);
                left -= size.longValueExact();
            } else {
                out.add(IpRange.of(range.last().minus(left - 1), range.last()));
                left = 0;
            }
        }
        return of(family, out);
    }

    /** True if {@code address} is in the set (false for an address of the other family). O(log ranges). */
    public boolean contains(IpAddress address) {
        if (address.family() != family) {
            return false;
        }
        int i = floorIndex(address.high64(), address.low64());
        return i >= 0 && U128.compare(address.high64(), address.low64(), lastHi(i), lastLo(i)) <= 0;
    }

    /** True if every address of {@code range} is in the set. O(log ranges). */
    public boolean contains(IpRange range) {
        if (range.family() != family) {
            return false;
        }
        IpAddress f = range.first();
        IpAddress l = range.last();
        int i = floorIndex(f.high64(), f.low64());
        return i >= 0 && U128.compare(l.high64(), l.low64(), lastHi(i), lastLo(i)) <= 0;
    }

    /** True if every address of {@code other} is in this set. */
    public boolean containsAll(IpRangeSet other) {
        requireSameFamily(other);
        int i = 0;
        for (int j = 0, m = other.rangeCountInternal(); j < m; j++) {
            i = ceilingIndexByLast(other.firstHi(j), other.firstLo(j), i);
            if (i == rangeCountInternal()
                    || U128.compare(firstHi(i), firstLo(i), other.firstHi(j), other.firstLo(j)) > 0
                    || U128.compare(other.lastHi(j), other.lastLo(j), lastHi(i), lastLo(i)) > 0) {
                return false;
            }
        }
        return true;
    }

    /** True if the sets share at least one address. */
    public boolean overlaps(IpRangeSet other) {
        requireSameFamily(other);
        int i = 0;
        int j = 0;
        int n = rangeCountInternal();
        int m = other.rangeCountInternal();
        while (i < n && j < m) {
            if (U128.compare(lastHi(i), lastLo(i), other.firstHi(j), other.firstLo(j)) < 0) {
                i = ceilingIndexByLast(other.firstHi(j), other.firstLo(j), i + 1);
            } else if (U128.compare(other.lastHi(j), other.lastLo(j), firstHi(i), firstLo(i)) < 0) {
                j = other.ceilingIndexByLast(firstHi(i), firstLo(i), j + 1);
            } else {
                return true;
            }
        }
        return false;
    }

    /** True if every address of the set lies within {@code cidr} (true for the empty set). */
    public boolean withinCidr(Cidr cidr) {
        if (isEmpty()) {
            return true;
        }
        return cidr.family() == family && cidr.contains(firstAddress(0))
                && cidr.contains(lastAddress(rangeCountInternal() - 1));
    }

    // ---------------------------------------------------------------- algebra

    /** Addresses in either set. */
    public IpRangeSet union(IpRangeSet other) {
        requireSameFamily(other);
        if (other.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return other;
        }
        int n = rangeCountInternal();
        int m = other.rangeCountInternal();
        RangeSetBuilder b = new RangeSetBuilder(family, n + m);
        int i = 0;
        int j = 0;
        while (i < n || j < m) {
            if (j == m || (i < n && U128.compare(firstHi(i), firstLo(i), other.firstHi(j), other.firstLo(j)) <= 0)) {
                b.add(this, i++);
            } else {
                b.add(other, j++);
            }
        }
        return b.build();
    }

    /** Addresses in both sets. */
    public IpRangeSet intersect(IpRangeSet other) {
        RangeSetBuilder b = new RangeSetBuilder(family, Math.min(rangeCountInternal(), other.rangeCountInternal()) + 1);
        forEachOverlap(other, b::add);
        return b.build();
    }

    /** Number of addresses in both sets, without building the intersection. O(ranges). */
    public BigInteger intersectionSize(IpRangeSet other) {
        U128.Sum sum = new U128.Sum();
        forEachOverlap(other, sum::addRange);
        return sum.value();
    }

    /** Receives one overlapping piece [first, last] as 128-bit halves. */
    private interface OverlapSink {
        void accept(long firstHi, long firstLo, long lastHi, long lastLo);
    }

    /** Walks both sorted range lists once and reports every non-empty overlap, in order. */
    private void forEachOverlap(IpRangeSet other, OverlapSink sink) {
        requireSameFamily(other);
        int n = rangeCountInternal();
        int m = other.rangeCountInternal();
        int i = 0;
        int j = 0;
        while (i < n && j < m) {
            // start = max(first), end = min(last)
            boolean thisStartsLater = U128.compare(firstHi(i), firstLo(i), other.firstHi(j), other.firstLo(j)) >= 0;
            long sHi = thisStartsLater ? firstHi(i) : other.firstHi(j);
            long sLo = thisStartsLater ? firstLo(i) : other.firstLo(j);
            boolean thisEndsFirst = U128.compare(lastHi(i), lastLo(i), other.lastHi(j), other.lastLo(j)) <= 0;
            long eHi = thisEndsFirst ? lastHi(i) : other.lastHi(j);
            long eLo = thisEndsFirst ? lastLo(i) : other.lastLo(j);
            if (U128.compare(sHi, sLo, eHi, eLo) <= 0) {
                sink.accept(sHi, sLo, eHi, eLo);
            }
            if (thisEndsFirst) {
                i++;
            } else {
                j++;
            }
        }
    }

    /** The part of this set outside {@code cidr} (for messages such as "ips ... are outside subnet ..."). */
    public IpRangeSet outside(Cidr cidr) {
        if (cidr.family() != family) {
            return this;
        }
        return minus(of(cidr));
    }

    /** Same as {@link #intersect}; reads better in validation messages ("overlaps pool x at ..."). */
    public IpRangeSet intersection(IpRangeSet other) {
        return intersect(other);
    }

    /** Addresses in this set but not in {@code other}. */
    public IpRangeSet minus(IpRangeSet other) {
        requireSameFamily(other);
        if (isEmpty() || other.isEmpty()) {
            return this;
        }
        int n = rangeCountInternal();
        int m = other.rangeCountInternal();
        RangeSetBuilder b = new RangeSetBuilder(family, n + 1);
        int j = 0;
        for (int i = 0; i < n; i++) {
            long cHi = firstHi(i);
            long cLo = firstLo(i);
            long eHi = lastHi(i);
            long eLo = lastLo(i);
            j = other.ceilingIndexByLast(cHi, cLo, j); // skip subtrahends that end before this range
            boolean consumed = false;
            while (j < m && U128.compare(other.firstHi(j), other.firstLo(j), eHi, eLo) <= 0) {
                long oFHi = other.firstHi(j);
                long oFLo = other.firstLo(j);
                if (U128.compare(oFHi, oFLo, cHi, cLo) > 0) {
                    // keep [c, other.first - 1]
                    long pLo = oFLo - 1;
                    long pHi = oFLo == 0 ? oFHi - 1 : oFHi;
                    b.add(cHi, cLo, pHi, pLo);
                }
                long oLHi = other.lastHi(j);
                long oLLo = other.lastLo(j);
                if (U128.compare(oLHi, oLLo, eHi, eLo) >= 0) {
                    consumed = true; // the subtrahend covers the rest; it may also cover the next range: keep j
                    break;
                }
                cLo = oLLo + 1;
                cHi = cLo == 0 ? oLHi + 1 : oLHi;
                j++;
            }
            if (!consumed) {
                b.add(cHi, cLo, eHi, eLo);
            }
        }
        return b.build();
    }

    private void requireSameFamily(IpRangeSet other) {
        if (other.family != family) {
            throw new IllegalArgumentException("cannot combine an " + family.displayName() + " set with an "
                    + other.family.displayName() + " set");
        }
    }

    // ---------------------------------------------------------------- object

    /**
     * A short description for error messages: at most {@code maxRanges} ranges, then "and N more ranges", e.g.
     * {@code 10.0.0.5, 10.0.0.7-10.0.0.9 and 3 more ranges}. The empty set is {@code (none)}.
     */
    public String summary(int maxRanges) {
        int n = rangeCountInternal();
        if (n == 0) {
            return "(none)";
        }
        StringBuilder sb = new StringBuilder();
        int shown = Math.min(n, Math.max(1, maxRanges));
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(rangeText(i));
        }
        if (n > shown) {
            int more = n - shown;
            sb.append(" and ").append(more).append(more == 1 ? " more range" : " more ranges");
        }
        return sb.toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpRangeSet s && s.family == family && Arrays.equals(s.r, r);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(r) * 31 + family.ordinal();
    }

    /** The {@code ips} form joined with commas, e.g. {@code [10.0.0.1, 10.0.0.5-10.0.0.9]}. */
    @Override
    public String toString() {
        return toStrings().toString();
    }
}
