package dev.spinneret.ip;

import java.math.BigInteger;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address, held as two unsigned 64-bit words (IPv4: high word 0, low word the 32-bit value).
 * Immutable; ordered numerically, with every IPv4 address ordered before every IPv6 address.
 *
 * <p>Parsing is strict: IPv4 must be a dotted quad of decimal octets without leading zeros; IPv6 accepts the RFC 4291
 * forms (full, {@code ::}-compressed, embedded IPv4 tail) but no zone ids or brackets. {@link #toString()} is
 * canonical: dotted quad for IPv4, RFC 5952 for IPv6 (lowercase, no leading zeros, the longest run of two or more
 * zero groups — the first if tied — shortened to {@code ::}; IPv4-mapped addresses as {@code ::ffff:a.b.c.d}).
 */
public final class IpAddress implements Comparable<IpAddress> {

    static final IpAddress V4_LOWEST = new IpAddress(IpFamily.V4, 0, 0);
    static final IpAddress V4_HIGHEST = new IpAddress(IpFamily.V4, 0, U128.V4_MAX);
    static final IpAddress V6_LOWEST = new IpAddress(IpFamily.V6, 0, 0);
    static final IpAddress V6_HIGHEST = new IpAddress(IpFamily.V6, -1L, -1L);

    private final IpFamily family;
    private final long hi;
    private final long lo;

    IpAddress(IpFamily family, long hi, long lo) {
        this.family = family;
        this.hi = hi;
        this.lo = lo;
    }

    // ---------------------------------------------------------------- factories

    /** Parses an IPv4 or IPv6 address (the family is detected from the text). */
    public static IpAddress parse(String text) {
        return IpAddressParser.parse(text);
    }

    /**
     * Parses an address that must be of the given family, e.g. {@code parse(V4, "fd00::1")} fails with
     * {@code "fd00::1" is not a valid IPv4 address: it is an IPv6 address}.
     */
    public static IpAddress parse(IpFamily family, String text) {
        return IpAddressParser.parse(family, text);
    }

    /** The IPv4 address with the given unsigned 32-bit value (0 .. 2^32-1). */
    public static IpAddress ofV4(long value) {
        if (value < 0 || value > U128.V4_MAX) {
            throw new IllegalArgumentException(value + " is outside the IPv4 address space (0 to 4294967295)");
        }
        return new IpAddress(IpFamily.V4, 0, value);
    }

    /** The IPv6 address whose upper and lower 64 bits are given (both read as unsigned). */
    public static IpAddress ofV6(long high64, long low64) {
        return new IpAddress(IpFamily.V6, high64, low64);
    }

    /** The address of the family with the given numeric value. */
    public static IpAddress of(IpFamily family, BigInteger value) {
        Objects.requireNonNull(family, "family");
        if (value.signum() < 0 || value.bitLength() > family.bits()) {
            throw new IllegalArgumentException(value + " is outside the " + family.displayName() + " address space");
        }
        return new IpAddress(family, value.shiftRight(64).longValue(), value.longValue());
    }

    /** The address from its 4 or 16 network-order bytes. */
    public static IpAddress fromBytes(byte[] bytes) {
        if (bytes.length == 4) {
            long v = 0;
            for (byte b : bytes) {
                v = (v << 8) | (b & 0xFF);
            }
            return new IpAddress(IpFamily.V4, 0, v);
        }
        if (bytes.length == 16) {
            long h = 0;
            long l = 0;
            for (int i = 0; i < 8; i++) {
                h = (h << 8) | (bytes[i] & 0xFF);
                l = (l << 8) | (bytes[i + 8] & 0xFF);
            }
            return new IpAddress(IpFamily.V6, h, l);
        }
        throw new IllegalArgumentException("an IP address has 4 or 16 bytes, not " + bytes.length);
    }

    // ---------------------------------------------------------------- accessors

    public IpFamily family() {
        return family;
    }

    public boolean isIPv4() {
        return family == IpFamily.V4;
    }

    public boolean isIPv6() {
        return family == IpFamily.V6;
    }

    /** Upper 64 bits (always 0 for IPv4). */
    public long high64() {
        return hi;
    }

    /** Lower 64 bits (for IPv4 the 32-bit value). */
    public long low64() {
        return lo;
    }

    /** The numeric value, 0 .. 2^bits - 1. */
    public BigInteger toBigInteger() {
        return U128.toBigInteger(hi, lo);
    }

    /** The 4 or 16 network-order bytes. */
    public byte[] toBytes() {
        if (family == IpFamily.V4) {
            return new byte[] {(byte) (lo >>> 24), (byte) (lo >>> 16), (byte) (lo >>> 8), (byte) lo};
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[i + 8] = (byte) (lo >>> (56 - 8 * i));
        }
        return b;
    }

    /** True for {@code 0.0.0.0} and {@code ::}. */
    public boolean isLowest() {
        return hi == 0 && lo == 0;
    }

    /** True for {@code 255.255.255.255} and {@code ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff}. */
    public boolean isHighest() {
        return U128.isMax(family, hi, lo);
    }

    // ---------------------------------------------------------------- arithmetic

    /**
     * The following address.
     *
     * @throws ArithmeticException at the top of the address space
     */
    public IpAddress next() {
        if (isHighest()) {
            throw new ArithmeticException(this + " is the highest " + family.displayName() + " address; it has no next");
        }
        return lo == -1L ? new IpAddress(family, hi + 1, 0) : new IpAddress(family, hi, lo + 1);
    }

    /**
     * The preceding address.
     *
     * @throws ArithmeticException at the bottom of the address space
     */
    public IpAddress previous() {
        if (isLowest()) {
            throw new ArithmeticException(this + " is the lowest " + family.displayName() + " address; it has no previous");
        }
        return lo == 0 ? new IpAddress(family, hi - 1, -1L) : new IpAddress(family, hi, lo - 1);
    }

    /**
     * This address plus {@code delta} (which may be negative).
     *
     * @throws ArithmeticException if the result leaves the address space of the family
     */
    public IpAddress plus(long delta) {
        long nHi;
        long nLo;
        boolean outside;
        if (delta >= 0) {
            nLo = lo + delta;
            long carry = Long.compareUnsigned(nLo, lo) < 0 ? 1 : 0;
            nHi = hi + carry;
            outside = family == IpFamily.V4 ? (carry != 0 || Long.compareUnsigned(nLo, U128.V4_MAX) > 0)
                    : (carry != 0 && hi == -1L);
        } else {
            long m = -delta; // unsigned magnitude, correct even for Long.MIN_VALUE
            nLo = lo - m;
            long borrow = Long.compareUnsigned(lo, m) < 0 ? 1 : 0;
            nHi = hi - borrow;
            outside = borrow != 0 && hi == 0;
        }
        if (outside) {
            throw new ArithmeticException(this + " + " + delta + " is outside the " + family.displayName() + " address space");
        }
        return new IpAddress(family, nHi, nLo);
    }

    /**
     * This address plus {@code delta} (which may be negative).
     *
     * @throws ArithmeticException if the result leaves the address space of the family
     */
    public IpAddress plus(BigInteger delta) {
        if (delta.bitLength() < 64) {
            return plus(delta.longValue());
        }
        BigInteger v = toBigInteger().add(delta);
        if (v.signum() < 0 || v.bitLength() > family.bits()) {
            throw new ArithmeticException(this + " + " + delta + " is outside the " + family.displayName() + " address space");
        }
        return of(family, v);
    }

    /** This address minus {@code delta}. */
    public IpAddress minus(long delta) {
        if (delta == Long.MIN_VALUE) {
            return plus(BigInteger.valueOf(delta).negate());
        }
        return plus(-delta);
    }

    /**
     * The signed offset {@code this - base}, so that {@code base.plus(this.offsetFrom(base)).equals(this)}.
     *
     * @throws IllegalArgumentException if the families differ
     */
    public BigInteger offsetFrom(IpAddress base) {
        requireSameFamily(base);
        return toBigInteger().subtract(base.toBigInteger());
    }

    void requireSameFamily(IpAddress other) {
        if (other.family != family) {
            throw new IllegalArgumentException("cannot mix " + family.displayName() + " address " + this + " with "
                    + other.family.displayName() + " address " + other);
        }
    }

    // ---------------------------------------------------------------- object

    @Override
    public int compareTo(IpAddress o) {
        if (family != o.family) {
            return family.compareTo(o.family);
        }
        return U128.compare(hi, lo, o.hi, o.lo);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpAddress a && a.family == family && a.hi == hi && a.lo == lo;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(hi) * 31 + Long.hashCode(lo) + family.ordinal();
    }

    /** Canonical text: dotted quad, or RFC 5952 for IPv6. */
    @Override
    public String toString() {
        return family == IpFamily.V4 ? IpAddressFormatter.v4(lo) : IpAddressFormatter.v6(hi, lo);
    }
}
