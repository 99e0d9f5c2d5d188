package dev.spinneret.ip;

import java.math.BigInteger;
import java.util.Objects;

/**
 * An inclusive range {@code first..last} of addresses of one family, {@code first <= last}. Text form (Spiderpool
 * {@code ips} syntax): a single address {@code 10.0.0.1}, or {@code 10.0.0.1-10.0.0.9}.
 */
public final class IpRange implements Comparable<IpRange> {

    private final IpAddress first;
    private final IpAddress last;

    private IpRange(IpAddress first, IpAddress last) {
        this.first = first;
        this.last = last;
    }

    /**
     * The range {@code first..last}.
     *
     * @throws IllegalArgumentException if the families differ or first is greater than last
     */
    public static IpRange of(IpAddress first, IpAddress last) {
        Objects.requireNonNull(first, "first");
        Objects.requireNonNull(last, "last");
        first.requireSameFamily(last);
        if (first.compareTo(last) > 0) {
            throw new IllegalArgumentException("first address " + first + " must not be greater than last address " + last);
        }
        return new IpRange(first, last);
    }

    /** The range holding just {@code address}. */
    public static IpRange single(IpAddress address) {
        return new IpRange(Objects.requireNonNull(address, "address"), address);
    }

    /** Parses {@code a} or {@code a-b} (family detected from the text; both ends must agree). */
    public static IpRange parse(String text) {
        return parse(null, text);
    }

    /**
     * Parses {@code a} or {@code a-b}; both addresses must be of {@code family} (if not null).
     *
     * @throws IpFormatException e.g. {@code "10.0.0.9-10.0.0.1" is not a valid IP range: first address 10.0.0.9 must
     *                           not be greater than last address 10.0.0.1}
     */
    public static IpRange parse(IpFamily family, String text) {
        String what = family == null ? "IP range" : family.displayName() + " range";
        if (text == null) {
            throw IpFormatException.invalid(null, what, "it is missing (null)");
        }
        int dash = text.indexOf('-');
        if (dash < 0) {
            return single(family == null ? IpAddress.parse(text) : IpAddress.parse(family, text));
        }
        if (text.indexOf('-', dash + 1) >= 0) {
            throw IpFormatException.invalid(text, what, "expected a single address or first-last with one \"-\"");
        }
        String a = text.substring(0, dash);
        String b = text.substring(dash + 1);
        if (a.isEmpty()) {
            throw IpFormatException.invalid(text, what, "the first address is missing before \"-\"");
        }
        if (b.isEmpty()) {
            throw IpFormatException.invalid(text, what, "the last address is missing after \"-\"");
        }
        IpAddress first = end(family, text, what, "first", a);
        IpAddress last = end(family, text, what, "last", b);
        if (first.family() != last.family()) {
            throw IpFormatException.invalid(text, what, "first address " + first + " is " + first.family().displayName()
                    + " but last address " + last + " is " + last.family().displayName());
        }
        if (first.compareTo(last) > 0) {
            throw IpFormatException.invalid(text, what,
                    "first address " + first + " must not be greater than last address " + last);
        }
        return new IpRange(first, last);
    }

    private static IpAddress end(IpFamily family, String whole, String what, String which, String part) {
        try {
            return family == null ? IpAddress.parse(part) : IpAddress.parse(family, part);
        } catch (IpFormatException e) {
            throw new IpFormatException(IpFormatException.quote(whole) + " is not a valid " + what + ": " + which
                    + " address " + e.getMessage());
        }
    }

    public IpAddress first() {
        return first;
    }

    public IpAddress last() {
        return last;
    }

    public IpFamily family() {
        return first.family();
    }

    public boolean isSingle() {
        return first.equals(last);
    }

    /** Number of addresses, {@code last - first + 1} (up to 2^128). */
    public BigInteger size() {
        return U128.count(first.high64(), first.low64(), last.high64(), last.low64());
    }

    public boolean contains(IpAddress address) {
        return address.family() == family() && first.compareTo(address) <= 0 && address.compareTo(last) <= 0;
    }

    public boolean contains(IpRange other) {
        return other.family() == family() && first.compareTo(other.first) <= 0 && other.last.compareTo(last) <= 0;
    }

    public boolean overlaps(IpRange other) {
        return other.family() == family() && first.compareTo(other.last) <= 0 && other.first.compareTo(last) <= 0;
    }

    /** Orders by first address, then by last address. */
    @Override
    public int compareTo(IpRange o) {
        int c = first.compareTo(o.first);
        return c != 0 ? c : last.compareTo(o.last);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof IpRange r && r.first.equals(first) && r.last.equals(last);
    }

    @Override
    public int hashCode() {
        return first.hashCode() * 31 + last.hashCode();
    }

    /** Spiderpool {@code ips} form: {@code a} for a single address, {@code a-b} otherwise. */
    @Override
    public String toString() {
        return isSingle() ? first.toString() : first + "-" + last;
    }
}
