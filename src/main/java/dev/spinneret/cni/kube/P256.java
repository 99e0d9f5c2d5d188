package dev.spinneret.cni.kube;

import java.math.BigInteger;

/**
 * ECDSA signature <em>verification</em> on NIST P-256 (secp256r1), FIPS 186-5 §6.4.2, with plain {@link BigInteger}
 * arithmetic: Jacobian coordinates and Shamir's simultaneous multiplication of u1·G + u2·Q.
 * <p>
 * Why it exists: the JDK's own verifier builds a 64-entry table of multiples of the generator the first time a JVM
 * uses P-256 — about 100 ms of CPU in a fresh JVM, more than the whole rest of a CNI ADD. This computes one
 * verification in a few ms once compiled. Verification only: every input is public (the key, the message, the
 * signature), so there is no secret to leak through timing; signing stays with the JDK. Differential tests
 * (P256VerifyTest) check it against the JDK's verifier on valid, tampered and malformed signatures.
 */
final class P256 {
    static final BigInteger P = hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
    static final BigInteger A = P.subtract(BigInteger.valueOf(3));
    static final BigInteger B = hex("5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b");
    static final BigInteger N = hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
    static final BigInteger GX = hex("6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296");
    static final BigInteger GY = hex("4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5");
    private static final BigInteger THREE = BigInteger.valueOf(3);

    private P256() {
    }

    private static BigInteger hex(String h) {
        return new BigInteger(h, 16);
    }

    /** Whether (x, y) is a point of the curve with coordinates in [0, p). */
    static boolean onCurve(BigInteger x, BigInteger y) {
        if (x.signum() < 0 || x.compareTo(P) >= 0 || y.signum() < 0 || y.compareTo(P) >= 0) return false;
        BigInteger rhs = x.multiply(x).multiply(x).add(A.multiply(x)).add(B).mod(P);
        return y.multiply(y).mod(P).equals(rhs);
    }

    /**
     * Verifies (r, s) over a message digest for the public key (qx, qy). The digest's leftmost 256 bits are used
     * (SHA-256 whole; SHA-384 and SHA-512 truncated, as the standard says). False for anything invalid, never throws.
     */
    static boolean verify(BigInteger qx, BigInteger qy, byte[] digest, BigInteger r, BigInteger s) {
        if (r.signum() <= 0 || r.compareTo(N) >= 0 || s.signum() <= 0 || s.compareTo(N) >= 0) return false;
        if (!onCurve(qx, qy)) return false;
        BigInteger e = new BigInteger(1, digest);
        if (digest.length * 8 > 256) e = e.shiftRight(digest.length * 8 - 256);
        BigInteger w = s.modInverse(N);
        BigInteger u1 = e.multiply(w).mod(N);
        BigInteger u2 = r.multiply(w).mod(N);
        BigInteger[] g = {GX, GY, BigInteger.ONE};
        BigInteger[] q = {qx, qy, BigInteger.ONE};
        BigInteger[] gq = add(g, q);
        BigInteger[] acc = infinity();
        for (int i = Math.max(u1.bitLength(), u2.bitLength()) - 1; i >= 0; i--) {
            acc = twice(acc);
            boolean a = u1.testBit(i);
            boolean b = u2.testBit(i);
            if (a && b) {
                acc = add(acc, gq);
            } else if (a) {
                acc = add(acc, g);
            } else if (b) {
                acc = add(acc, q);
            }
        }
        if (isInfinity(acc)) return false;
        BigInteger zInv = acc[2].modInverse(P);
        BigInteger x = acc[0].multiply(zInv).multiply(zInv).mod(P);
        return x.mod(N).equals(r);
    }

    private static BigInteger[] infinity() {
        return new BigInteger[]{BigInteger.ONE, BigInteger.ONE, BigInteger.ZERO};
    }

    private static boolean isInfinity(BigInteger[] p) {
        return p[2].signum() == 0;
    }

    /** 2·P in Jacobian coordinates (a = -3: M = 3(X - Z²)(X + Z²)). */
    private static BigInteger[] twice(BigInteger[] p) {
        if (isInfinity(p) || p[1].signum() == 0) return infinity();
        BigInteger z2 = p[2].multiply(p[2]).mod(P);
        BigInteger m = p[0].subtract(z2).multiply(p[0].add(z2)).multiply(THREE).mod(P);
        BigInteger y2 = p[1].multiply(p[1]).mod(P);
        BigInteger s = p[0].multiply(y2).shiftLeft(2).mod(P);
        BigInteger x3 = m.multiply(m).subtract(s.shiftLeft(1)).mod(P);
        BigInteger y3 = m.multiply(s.subtract(x3)).subtract(y2.multiply(y2).shiftLeft(3)).mod(P);
        BigInteger z3 = p[1].multiply(p[2]).shiftLeft(1).mod(P);
        return new BigInteger[]{x3, y3, z3};
    }

    /** P + Q in Jacobian coordinates, including P = Q (doubling) and P = -Q (infinity). */
    private static BigInteger[] add(BigInteger[] p, BigInteger[] q) {
        if (isInfinity(p)) return q;
        if (isInfinity(q)) return p;
        BigInteger z1s = p[2].multiply(p[2]).mod(P);
        BigInteger z2s = q[2].multiply(q[2]).mod(P);
        BigInteger u1 = p[0].multiply(z2s).mod(P);
        BigInteger u2 = q[0].multiply(z1s).mod(P);
        BigInteger s1 = p[1].multiply(z2s).multiply(q[2]).mod(P);
        BigInteger s2 = q[1].multiply(z1s).multiply(p[2]).mod(P);
        BigInteger h = u2.subtract(u1).mod(P);
        BigInteger r = s2.subtract(s1).mod(P);
        if (h.signum() == 0) return r.signum() == 0 ? twice(p) : infinity();
        BigInteger h2 = h.multiply(h).mod(P);
        BigInteger h3 = h2.multiply(h).mod(P);
        BigInteger u1h2 = u1.multiply(h2).mod(P);
        BigInteger x3 = r.multiply(r).subtract(h3).subtract(u1h2.shiftLeft(1)).mod(P);
        BigInteger y3 = r.multiply(u1h2.subtract(x3)).subtract(s1.multiply(h3)).mod(P);
        BigInteger z3 = h.multiply(p[2]).multiply(q[2]).mod(P);
        return new BigInteger[]{x3, y3, z3};
    }
}
