package dev.spinneret.cni.kube;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Security;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** P256Provider's verifier against the JDK's (SunEC), on valid, tampered and malformed signatures. */
class P256VerifyTest {
    private static final P256Provider OURS = new P256Provider();
    private final Random random = new Random(20261126L);

    private static KeyPair keyPair(String curve) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec(curve));
        return g.generateKeyPair();
    }

    /** The verdict of a verifier; an exception (e.g. a malformed encoding) counts as a rejection. */
    private static boolean verdict(Signature s, PublicKey key, byte[] msg, byte[] sig) throws Exception {
        s.initVerify(key);
        s.update(msg);
        try {
            return s.verify(sig);
        } catch (SignatureException e) {
            return false;
        }
    }

    private static boolean ours(String alg, PublicKey key, byte[] msg, byte[] sig) throws Exception {
        return verdict(Signature.getInstance(alg, OURS), key, msg, sig);
    }

    private static boolean jdk(String alg, PublicKey key, byte[] msg, byte[] sig) throws Exception {
        return verdict(Signature.getInstance(alg, "SunEC"), key, msg, sig);
    }

    private static byte[] sign(String alg, KeyPair kp, byte[] msg) throws Exception {
        Signature s = Signature.getInstance(alg, "SunEC");
        s.initSign(kp.getPrivate());
        s.update(msg);
        return s.sign();
    }

    private static byte[] der(BigInteger r, BigInteger s) {
        byte[] rb = r.toByteArray();
        byte[] sb = s.toByteArray();
        byte[] out = new byte[6 + rb.length + sb.length];
        out[0] = 0x30;
        out[1] = (byte) (4 + rb.length + sb.length);
        out[2] = 0x02;
        out[3] = (byte) rb.length;
        System.arraycopy(rb, 0, out, 4, rb.length);
        out[4 + rb.length] = 0x02;
        out[5 + rb.length] = (byte) sb.length;
        System.arraycopy(sb, 0, out, 6 + rb.length, sb.length);
        return out;
    }

    @Test
    void agreesWithTheJdkOnValidAndTamperedSignatures() throws Exception {
        int accepted = 0;
        for (int i = 0; i < 120; i++) {
            KeyPair kp = keyPair("secp256r1");
            String alg = new String[]{"SHA256withECDSA", "SHA384withECDSA", "SHA512withECDSA"}[i % 3];
            byte[] msg = new byte[1 + random.nextInt(200)];
            random.nextBytes(msg);
            byte[] sig = sign(alg, kp, msg);
            assertTrue(ours(alg, kp.getPublic(), msg, sig), "a JDK signature must verify (" + alg + ", case " + i + ")");
            accepted++;

            BigInteger[] rs = P256Provider.decodeDer(sig);
            byte[] otherMsg = msg.clone();
            otherMsg[random.nextInt(otherMsg.length)] ^= (byte) (1 << random.nextInt(8));
            byte[][] bad = {
                der(rs[0].add(BigInteger.ONE), rs[1]),
                der(rs[0], rs[1].add(BigInteger.ONE)),
                der(rs[1], rs[0]),
                der(rs[0], P256.N.subtract(rs[1])), // the other valid s (ECDSA is malleable): both verifiers accept it
                der(BigInteger.ZERO, rs[1]),
                der(rs[0], BigInteger.ZERO),
                der(P256.N, rs[1]),
                der(rs[0], P256.N),
                der(rs[0].add(P256.N), rs[1]),
            };
            for (int k = 0; k < bad.length; k++) {
                assertEquals(jdk(alg, kp.getPublic(), msg, bad[k]), ours(alg, kp.getPublic(), msg, bad[k]),
                        "variant " + k + " of case " + i);
            }
            assertTrue(ours(alg, kp.getPublic(), msg, bad[3]));
            assertFalse(ours(alg, kp.getPublic(), otherMsg, sig), "another message");
            assertFalse(ours(alg, keyPair("secp256r1").getPublic(), msg, sig), "another key");
        }
        assertEquals(120, accepted);
    }

    @Test
    void agreesWithTheJdkOnMalformedEncodings() throws Exception {
        KeyPair kp = keyPair("secp256r1");
        byte[] msg = "hello".getBytes();
        byte[] sig = sign("SHA256withECDSA", kp, msg);
        // byte flips, truncations and extensions of a valid signature
        for (int i = 0; i < 400; i++) {
            byte[] m;
            switch (i % 3) {
                case 0 -> {
                    m = sig.clone();
                    m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                }
                case 1 -> m = Arrays.copyOf(sig, random.nextInt(sig.length));
                default -> {
                    m = Arrays.copyOf(sig, sig.length + 1 + random.nextInt(3));
                    if (random.nextBoolean()) m[1] = (byte) (m.length - 2);
                }
            }
            assertEquals(jdk("SHA256withECDSA", kp.getPublic(), msg, m), ours("SHA256withECDSA", kp.getPublic(), msg, m),
                    "mutation " + i + ": " + Arrays.toString(m));
        }
        // non-minimal and negative integers
        BigInteger[] rs = P256Provider.decodeDer(sig);
        byte[] r = rs[0].toByteArray();
        byte[] padded = new byte[r.length + 1];
        System.arraycopy(r, 0, padded, 1, r.length);
        byte[] nonMinimal = der(new BigInteger(1, padded), rs[1]);
        nonMinimal[3]++;
        nonMinimal[1]++;
        byte[] fixed = new byte[nonMinimal.length + 1];
        System.arraycopy(nonMinimal, 0, fixed, 0, 4);
        fixed[4] = 0;
        System.arraycopy(nonMinimal, 4, fixed, 5, nonMinimal.length - 5);
        assertNull(P256Provider.decodeDer(fixed), "a leading zero that is not needed");
        byte[] negative = der(rs[0].negate(), rs[1]);
        assertEquals(jdk("SHA256withECDSA", kp.getPublic(), msg, negative), ours("SHA256withECDSA", kp.getPublic(), msg, negative),
                "a negative r");
        assertNull(P256Provider.decodeDer(new byte[0]));
        assertNull(P256Provider.decodeDer(null));
    }

    @Test
    void otherCurvesAndSigningAreLeftToTheJdk() throws Exception {
        assertThrows(java.security.InvalidKeyException.class,
                () -> Signature.getInstance("SHA384withECDSA", OURS).initVerify(keyPair("secp384r1").getPublic()));
        assertThrows(java.security.InvalidKeyException.class,
                () -> Signature.getInstance("SHA256withECDSA", OURS).initSign(keyPair("secp256r1").getPrivate()));
        assertFalse(P256Provider.isP256(((java.security.interfaces.ECPublicKey) keyPair("secp384r1").getPublic()).getParams()));

        // installed first, as the plugin does: the JDK's delayed provider selection picks it for P-256 verification
        // only, and SunEC for P-384 keys and for signing
        Security.insertProviderAt(new P256Provider(), 1);
        try {
            KeyPair p256 = keyPair("secp256r1");
            KeyPair p384 = keyPair("secp384r1");
            byte[] msg = "x".getBytes();
            Signature v = Signature.getInstance("SHA256withECDSA");
            v.initVerify(p256.getPublic());
            v.update(msg);
            assertTrue(v.verify(sign("SHA256withECDSA", p256, msg)));
            assertEquals(P256Provider.NAME, v.getProvider().getName());

            Signature v384 = Signature.getInstance("SHA384withECDSA");
            v384.initVerify(p384.getPublic());
            v384.update(msg);
            assertTrue(v384.verify(sign("SHA384withECDSA", p384, msg)));
            assertNotEquals(P256Provider.NAME, v384.getProvider().getName());

            Signature signer = Signature.getInstance("SHA256withECDSA");
            signer.initSign(p256.getPrivate(), new SecureRandom());
            signer.update(msg);
            byte[] sig = signer.sign();
            assertNotEquals(P256Provider.NAME, signer.getProvider().getName());
            assertTrue(jdk("SHA256withECDSA", p256.getPublic(), msg, sig));

            // a certificate (as PKIX verifies one): initVerify(Certificate) picks it, and the self-signature checks out
            java.security.cert.X509Certificate cert = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                    .getInstance("X.509").generateCertificate(new java.io.ByteArrayInputStream(KubeConfigTest.res("ec.crt")));
            Signature c = Signature.getInstance(cert.getSigAlgName());
            c.initVerify(cert);
            assertEquals(P256Provider.NAME, c.getProvider().getName());
            long before = P256Provider.verifications();
            cert.verify(cert.getPublicKey());
            assertTrue(P256Provider.verifications() > before);
        } finally {
            Security.removeProvider(P256Provider.NAME);
        }
    }
}
