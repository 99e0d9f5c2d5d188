package dev.spinneret.cni.kube;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** P256's edge cases: special keys and scalars, x-coordinates at least n, range and key checks, lenient INTEGERs. */
class P256EdgeCasesTest {
    private static final BigInteger N = P256.N, GX = P256.GX, GY = P256.GY, NEG_GY = P256.P.subtract(P256.GY);
    private static final BigInteger X2G = new BigInteger("7cf27b188d034f7e8a52380304b51ac3c08969e277f21b35a60b48fc47669978", 16);

    private static byte[] be32(BigInteger v) {
        byte[] b = v.toByteArray(), o = new byte[32];
        System.arraycopy(b, Math.max(0, b.length - 32), o, Math.max(0, 32 - b.length), Math.min(32, b.length));
        return o;
    }

    @Test
    void specialKeysAndScalars() {
        // Q = G, e = 0 (u1 = 0), s = r = Gx (u2 = 1): R = G
        assertTrue(P256.verify(GX, GY, new byte[32], GX, GX));
        assertTrue(P256.verify(GX, GY, new byte[0], GX, GX)); // empty digest, e = 0
        // Q = G, u1 = u2 = 1: G + G goes through add()'s P == Q branch; R = 2G
        assertTrue(P256.verify(GX, GY, be32(X2G), X2G, X2G));
        assertFalse(P256.verify(GX, GY, be32(X2G), GX, GX));
        // Q = -G: G + Q precomputation is the point at infinity
        assertFalse(P256.verify(GX, NEG_GY, be32(GX), GX, GX)); // u1 = u2 = 1: R = O must be rejected
        assertTrue(P256.verify(GX, NEG_GY, be32(GX.shiftLeft(1).mod(N)), GX, GX)); // u1 = 2, u2 = 1: R = G
    }

    @Test
    void xCoordinateAtLeastNIsReducedModN() {
        // R = (n + 3, y) is a curve point; with Q = R, e = 0 and s = r, u1 = 0, u2 = 1 and R.x mod n = 3
        BigInteger x = N.add(BigInteger.valueOf(3));
        BigInteger y = new BigInteger("484f0c0fda434ef0a808458914f328715d7a545e198ac7eee31dffe861b5d23f", 16);
        assertTrue(P256.onCurve(x, y));
        assertTrue(P256.verify(x, y, new byte[32], BigInteger.valueOf(3), BigInteger.valueOf(3)));
        assertFalse(P256.verify(x, y, new byte[32], x, BigInteger.valueOf(3))); // r >= n
    }

    @Test
    void rangeAndKeyChecks() {
        byte[] d = new byte[32];
        for (BigInteger bad : new BigInteger[]{BigInteger.ZERO, N, N.add(GX), BigInteger.ONE.negate()}) {
            assertFalse(P256.verify(GX, GY, d, bad, GX));
            assertFalse(P256.verify(GX, GY, d, GX, bad));
        }
        assertFalse(P256.verify(GX.add(P256.P), GY, new byte[32], GX, GX)); // same point, unreduced x
        assertFalse(P256.verify(GX, GY.add(BigInteger.ONE), new byte[32], GX, GX)); // off the curve
    }

    @Test
    void anUnpaddedIntegerIsReadAsItsMagnitudeLikeSunEcDoes() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = g.generateKeyPair();
        byte[] msg = "m".getBytes();
        byte[] sig;
        BigInteger[] rs;
        do { // until r needs a 0x00 pad
            Signature s = Signature.getInstance("SHA256withECDSA", "SunEC");
            s.initSign(kp.getPrivate());
            s.update(msg);
            sig = s.sign();
            rs = P256Provider.decodeDer(sig);
        } while (rs[0].bitLength() != 256);
        byte[] unpadded = new byte[sig.length - 1]; // 30 L-1 02 20 <r without its 00> 02 ...
        unpadded[0] = 0x30; unpadded[1] = (byte) (sig[1] - 1); unpadded[2] = 0x02; unpadded[3] = 0x20;
        System.arraycopy(sig, 5, unpadded, 4, sig.length - 5);
        Signature jdk = Signature.getInstance("SHA256withECDSA", "SunEC");
        jdk.initVerify(kp.getPublic());
        jdk.update(msg);
        assertTrue(jdk.verify(unpadded), "SunEC reads a negative INTEGER as its magnitude");
        Signature ours = Signature.getInstance("SHA256withECDSA", new P256Provider());
        ours.initVerify(kp.getPublic());
        ours.update(msg);
        assertTrue(ours.verify(unpadded), "the same verdict as SunEC");
    }
}
