package dev.spinneret.ip;

import java.util.Arrays;

/**
 * Builds an {@link IpRangeSet} from ranges appended in ascending order of their first address, merging ranges that
 * overlap or touch. One pass, no sorting, no per-address work.
 */
final class RangeSetBuilder {

    private final IpFamily family;
    private long[] r;
    private int n;

    RangeSetBuilder(IpFamily family, int expectedRanges) {
        this.family = family;
        this.r = new long[Math.max(4, expectedRanges * 4)];
    }

    /** Appends [first, last]; first must not be below the first address of the previously appended range. */
    void add(long fHi, long fLo, long lHi, long lLo) {
        if (n > 0) {
            int p = (n - 1) * 4;
            if (U128.compare(fHi, fLo, r[p], r[p + 1]) < 0) {
                throw new IllegalStateException("ranges must be appended in ascending order");
            }
            if (U128.compare(fHi, fLo, r[p + 2], r[p + 3]) <= 0 || U128.isSuccessor(r[p + 2], r[p + 3], fHi, fLo)) {
                if (U128.compare(lHi, lLo, r[p + 2], r[p + 3]) > 0) {
                    r[p + 2] = lHi;
                    r[p + 3] = lLo;
                }
                return;
            }
        }
        if (n * 4 == r.length) {
            r = Arrays.copyOf(r, r.length * 2);
        }
        int p = n * 4;
        r[p] = fHi;
        r[p + 1] = fLo;
        r[p + 2] = lHi;
        r[p + 3] = lLo;
        n++;
    }

    void add(IpRangeSet s, int i) {
        add(s.firstHi(i), s.firstLo(i), s.lastHi(i), s.lastLo(i));
    }

    IpRangeSet build() {
        return new IpRangeSet(family, n * 4 == r.length ? r : Arrays.copyOf(r, n * 4));
    }
}
