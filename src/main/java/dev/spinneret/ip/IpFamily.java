package dev.spinneret.ip;

import java.math.BigInteger;

/** The IP version of an address, range, set or pool. */
public enum IpFamily {
    V4(4, 32, "IPv4"),
    V6(6, 128, "IPv6");

    private final int number;
    private final int bits;
    private final String displayName;

    IpFamily(int number, int bits, String displayName) {
        this.number = number;
        this.bits = bits;
        this.displayName = displayName;
    }

    /** The Spiderpool {@code ipVersion}: 4 or 6. */
    public int number() {
        return number;
    }

    /** Address width in bits: 32 or 128. */
    public int bits() {
        return bits;
    }

    /** {@code "IPv4"} or {@code "IPv6"}, for messages. */
    public String displayName() {
        return displayName;
    }

    /** The lowest address of the family: {@code 0.0.0.0} or {@code ::}. */
    public IpAddress lowest() {
        return this == V4 ? IpAddress.V4_LOWEST : IpAddress.V6_LOWEST;
    }

    /** The highest address of the family: {@code 255.255.255.255} or {@code ffff:...:ffff}. */
    public IpAddress highest() {
        return this == V4 ? IpAddress.V4_HIGHEST : IpAddress.V6_HIGHEST;
    }

    /** Number of addresses in the whole family: 2^32 or 2^128. */
    public BigInteger addressCount() {
        return BigInteger.ONE.shiftLeft(bits);
    }

    /**
     * The family for a Spiderpool {@code ipVersion}.
     *
     * @throws IpFormatException for anything but 4 or 6, e.g. {@code ipVersion 5 is not supported: use 4 or 6}
     */
    public static IpFamily ofNumber(int number) {
        return switch (number) {
            case 4 -> V4;
            case 6 -> V6;
            default -> throw new IpFormatException("ipVersion " + number + " is not supported: use 4 or 6");
        };
    }
}
