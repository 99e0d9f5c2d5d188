package dev.spinneret.ip;

import java.math.BigInteger;
import java.util.Objects;

/**
 * A CIDR block such as {@code 10.244.0.0/16} or {@code fd00::/64}. Always held in canonical form (host bits
 * cleared); {@link #parse(String)} clears them, {@link #parseCanonical(String)} refuses input that had them set.
 */
public final class Cidr {

    private final IpAddress first;
    private final int prefixLength;

    private Cidr(IpAddress first, int prefixLength) {
        this.first = first;
        this.prefixLength = prefixLength;
    }

    /**
     * The block of {@code prefixLength} containing {@code address} (host bits are cleared).
     *
     * @throws IllegalArgumentException if the prefix length is negative or longer than the address
     */
    public static Cidr of(IpAddress address, int prefixLength) {
        Objects.requireNonNull(address, "address");
        int bits = address.family().bits();
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not between 0 and " + bits);
        }
        return new Cidr(mask(address, prefixLength), prefixLength);
    }

    /**
     * Parses {@code address/prefix}; host bits that are set are cleared ({@code 10.244.1.0/16} gives
     * {@code 10.244.0.0/16}).
     */
    public static Cidr parse(String text) {
        return parse(null, text, false);
    }

    /** Like {@link #parse(String)}, but the address must be of {@code family}. */
    public static Cidr parse(IpFamily family, String text) {
        return parse(family, text, false);
    }

    /**
     * Parses {@code address/prefix} and refuses any text that is not exactly the canonical form, with a message like
     * {@code 10.244.1.0/16 is not in canonical form: use 10.244.0.0/16}.
     */
    public static Cidr parseCanonical(String text) {
        return parse(null, text, true);
    }

    /** Like {@link #parseCanonical(String)}, but the address must be of {@code family}. */
    public static Cidr parseCanonical(IpFamily family, String text) {
        return parse(family, text, true);
    }

    private static Cidr parse(IpFamily family, String text, boolean canonical) {
        String what = family == null ? "CIDR" : family.displayName() + " CIDR";
        if (text == null) {
            throw IpFormatException.invalid(null, what, "it is missing (null)");
        }
        if (text.isEmpty()) {
            throw IpFormatException.invalid(text, what, "it is empty");
        }
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw IpFormatException.invalid(text, what,
                    "the prefix length is missing (expected address/prefix, e.g. 10.244.0.0/16 or fd00::/64)");
        }
        if (text.indexOf('/', slash + 1) >= 0) {
            throw IpFormatException.invalid(text, what, "it contains more than one \"/\"");
        }
        String addressText = text.substring(0, slash);
        String prefixText = text.substring(slash + 1);
        IpAddress address;
        try {
            address = family == null ? IpAddress.parse(addressText) : IpAddress.parse(family, addressText);
        } catch (IpFormatException e) {
            throw new IpFormatException(IpFormatException.quote(text) + " is not a valid " + what + ": " + e.getMessage());
        }
        what = address.family().displayName() + " CIDR";
        if (prefixText.isEmpty()) {
            throw IpFormatException.invalid(text, what, "the prefix length after \"/\" is missing");
        }
        for (int i = 0; i < prefixText.length(); i++) {
            char c = prefixText.charAt(i);
            if (c < '0' || c > '9') {
                throw IpFormatException.invalid(text, what,
                        "prefix length " + IpFormatException.quote(prefixText) + " is not a decimal number");
            }
        }
        if (prefixText.length() > 1 && prefixText.charAt(0) == '0') {
            throw IpFormatException.invalid(text, what,
                    "prefix length " + IpFormatException.quote(prefixText) + " has a leading zero");
        }
        int bits = address.family().bits();
        if (prefixText.length() > 3 || Integer.parseInt(prefixText) > bits) {
            throw IpFormatException.invalid(text, what, "prefix length " + prefixText + " is greater than " + bits);
        }
        Cidr cidr = new Cidr(mask(address, Integer.parseInt(prefixText)), Integer.parseInt(prefixText));
        if (canonical && !cidr.toString().equals(text)) {
            throw new IpFormatException(text + " is not in canonical form: use " + cidr);
        }
        return cidr;
    }

    private static IpAddress mask(IpAddress a, int prefixLength) {
        int bits = a.family().bits();
        int hostBits = bits - prefixLength;
        long hi = a.high64();
        long lo = a.low64();
        if (hostBits >= 64) {
            lo = 0;
            hi = hostBits >= 128 ? 0 : hi & (-1L << (hostBits - 64));
        } else if (hostBits > 0) {
            lo = lo & (-1L << hostBits);
        }
        return new IpAddress(a.family(), hi, lo);
    }

    private static IpAddress fill(IpAddress a, int prefixLength) {
        int hostBits = a.family().bits() - prefixLength;
        long hi = a.high64();
        long lo = a.low64();
        if (hostBits >= 64) {
            lo = -1L;
            hi = hostBits >= 128 ? -1L : hi | ~(-1L << (hostBits - 64));
        } else if (hostBits > 0) {
            lo = lo | ~(-1L << hostBits);
        }
        if (a.family() == IpFamily.V4) {
            lo &= U128.V4_MAX;
            hi = 0;
        }
        return new IpAddress(a.family(), hi, lo);
    }

    public IpFamily family() {
        return first.family();
    }

    public int prefixLength() {
        return prefixLength;
    }

    /** The network address (lowest address of the block). */
    public IpAddress first() {
        return first;
    }

    /** The highest address of the block (the IPv4 broadcast address, where that applies). */
    public IpAddress last() {
        return fill(first, prefixLength);
    }

    /** Number of addresses, 2^(bits - prefix); a /64 is 2^64. */
    public BigInteger size() {
        return BigInteger.ONE.shiftLeft(family().bits() - prefixLength);
    }

    public boolean contains(IpAddress address) {
        return address.family() == family() && mask(address, prefixLength).equals(first);
    }

    public boolean contains(Cidr other) {
        return other.family() == family() && other.prefixLength >= prefixLength && contains(other.first);
    }

    public boolean overlaps(Cidr other) {
        return contains(other) || other.contains(this);
    }

    public IpRange asRange() {
        return IpRange.of(first, last());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Cidr c && c.first.equals(first) && c.prefixLength == prefixLength;
    }

    @Override
    public int hashCode() {
        return first.hashCode() * 131 + prefixLength;
    }

    /** Canonical text, e.g. {@code 10.244.0.0/16}. */
    @Override
    public String toString() {
        return first + "/" + prefixLength;
    }
}
