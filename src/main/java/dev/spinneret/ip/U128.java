package dev.spinneret.ip;

import java.math.BigInteger;

/**
 * Unsigned 128-bit arithmetic on (high, low) pairs of longs. IPv4 addresses use high = 0 and low in [0, 2^32).
 */
final class U128 {

    static final long V4_MAX = 0xFFFF_FFFFL;
    private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);

    private U128() {
    }

    static int compare(long aHi, long aLo, long bHi, long bLo) {
        int c = Long.compareUnsigned(aHi, bHi);
        return c != 0 ? c : Long.compareUnsigned(aLo, bLo);
    }

    /** True when (hi, lo) is the highest address of the family, i.e. it has no successor. */
    static boolean isMax(IpFamily family, long hi, long lo) {
        return family == IpFamily.V4 ? lo == V4_MAX : (hi == -1L && lo == -1L);
    }

    /** True when b == a + 1 (never true across the top of the family, since b would not be a valid address). */
    static boolean isSuccessor(long aHi, long aLo, long bHi, long bLo) {
        if (aLo == -1L) {
            return bLo == 0 && bHi == aHi + 1 && aHi != -1L;
        }
        return bHi == aHi && bLo == aLo + 1;
    }

    static BigInteger toBigInteger(long hi, long lo) {
        BigInteger low = lo >= 0 ? BigInteger.valueOf(lo) : BigInteger.valueOf(lo).add(TWO_64);
        if (hi == 0) {
            return low;
        }
        BigInteger high = hi >= 0 ? BigInteger.valueOf(hi) : BigInteger.valueOf(hi).add(TWO_64);
        return high.shiftLeft(64).or(low);
    }

    /**
     * Number of addresses in [first, last] as a BigInteger (up to 2^128).
     */
    static BigInteger count(long fHi, long fLo, long lHi, long lLo) {
        long dLo = lLo - fLo;
        long borrow = Long.compareUnsigned(lLo, fLo) < 0 ? 1 : 0;
        long dHi = lHi - fHi - borrow;
        // + 1
        long cLo = dLo + 1;
        long cHi = dHi + (cLo == 0 ? 1 : 0);
        if (cLo == 0 && dHi == -1L) {
            return TWO_64.shiftLeft(64); // the whole IPv6 space
        }
        return toBigInteger(cHi, cLo);
    }

    /** Accumulates range sizes in three words (up to 2^192) without allocating. */
    static final class Sum {
        private long lo;
        private long hi;
        private long top;

        /** Adds last - first + 1. */
        void addRange(long fHi, long fLo, long lHi, long lLo) {
            long dLo = lLo - fLo;
            long borrow = Long.compareUnsigned(lLo, fLo) < 0 ? 1 : 0;
            long dHi = lHi - fHi - borrow;
            add(dHi, dLo);
            add(0, 1);
        }

        /** Adds a non-negative count. */
        void addCount(long count) {
            add(0, count);
        }

        private void add(long h, long l) {
            long nLo = lo + l;
            long carry = Long.compareUnsigned(nLo, lo) < 0 ? 1 : 0;
            long nHi = hi + h + carry;
            // carry out of the high word
            boolean carryOut = Long.compareUnsigned(nHi, hi) < 0 || (carry == 1 && nHi == hi);
            if (carryOut) {
                top++;
            }
            lo = nLo;
            hi = nHi;
        }

        BigInteger value() {
            BigInteger v = toBigInteger(hi, lo);
            return top == 0 ? v : BigInteger.valueOf(top).shiftLeft(128).or(v);
        }

        /** The sum, or Long.MAX_VALUE if it does not fit a long. */
        long saturatedLong() {
            return (top != 0 || hi != 0 || lo < 0) ? Long.MAX_VALUE : lo;
        }
    }
}
