package dev.spinneret.cni.kube;

import java.math.BigInteger;
import java.security.InvalidKeyException;
import java.security.InvalidParameterException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.Provider;
import java.security.PublicKey;
import java.security.Security;
import java.security.SignatureException;
import java.security.SignatureSpi;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECFieldFp;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A JCA provider, installed first by the plugin's main, that verifies ECDSA signatures made with P-256 keys
 * ({@link P256}) for SHA256withECDSA, SHA384withECDSA and SHA512withECDSA: the server's CertificateVerify in a TLS 1.3
 * handshake with an EC P-256 API server (k3s, RKE2), and P-256 certificate signatures in its chain. For any other key
 * (another curve, RSA) and for signing, {@code initVerify}/{@code initSign} refuse with InvalidKeyException, and the
 * JDK's delayed provider selection moves on to its own provider (SunEC), so nothing else changes.
 * {@code -Dspinneret.cni.p256=jdk} leaves the JDK's verifier in charge (docs/cni.md, "Measured start-up").
 * <p>
 * One limit of the JDK's delayed selection: a {@code Signature} object that has once been initialised with this
 * provider (or whose {@code getProvider()} was called first) stays with it, so re-initialising that same object to
 * sign, or to verify with another curve, fails instead of moving to SunEC. JSSE and the PKIX code create a new
 * {@code Signature} per use (checked in the JDK 17 and 25 sources), so the plugin never meets this.
 */
public final class P256Provider extends Provider {
    private static final long serialVersionUID = 1L;
    static final String NAME = "SpinneretP256";
    private static volatile boolean allowed;
    private static volatile boolean installed;
    private static final java.util.concurrent.atomic.AtomicLong VERIFICATIONS = new java.util.concurrent.atomic.AtomicLong();

    P256Provider() {
        super(NAME, "1.0", "ECDSA P-256 signature verification for the Spinneret CNI plugin");
        for (String[] alg : new String[][]{{"SHA256withECDSA", "SHA-256"}, {"SHA384withECDSA", "SHA-384"}, {"SHA512withECDSA", "SHA-512"}}) {
            putService(new VerifierService(this, alg[0], alg[1]));
        }
    }

    /**
     * Lets {@link #install()} change this JVM's provider list: the plugin's own process (Main.main) allows it; code
     * that runs the plugin in another program's JVM (tests) does not, and keeps the JDK's providers untouched.
     */
    public static void allowInstall() {
        allowed = true;
    }

    /** Puts the provider first in this JVM's list, once, if allowed and unless -Dspinneret.cni.p256=jdk. */
    public static synchronized void install() {
        if (installed || !allowed || "jdk".equals(System.getProperty("spinneret.cni.p256"))) return;
        Security.insertProviderAt(new P256Provider(), 1);
        installed = true;
    }

    /** Tests: removes the provider again. */
    static synchronized void uninstall() {
        Security.removeProvider(NAME);
        installed = false;
        allowed = false;
    }

    /** How many signatures this provider has checked in this JVM (tests). */
    static long verifications() {
        return VERIFICATIONS.get();
    }

    /** Whether P-256 verification is this provider's (so the JDK's generator table will not be needed for it). */
    public static boolean installed() {
        return installed;
    }

    /** A service that creates its SPI directly (no reflection: a fresh JVM would spin method handles for it). */
    private static final class VerifierService extends Service {
        private final String digest;

        VerifierService(Provider p, String algorithm, String digest) {
            super(p, "Signature", algorithm, Verifier.class.getName(), List.of(),
                    Map.of("SupportedKeyClasses", "java.security.interfaces.ECPublicKey"));
            this.digest = digest;
        }

        @Override
        public Object newInstance(Object constructorParameter) throws NoSuchAlgorithmException {
            return new Verifier(MessageDigest.getInstance(digest));
        }
    }

    /** One verification; refuses keys that are not P-256 public keys so that the JDK's provider is used instead. */
    static final class Verifier extends SignatureSpi {
        private final MessageDigest md;
        private ECPoint q;

        Verifier(MessageDigest md) {
            this.md = md;
        }

        @Override
        protected void engineInitVerify(PublicKey publicKey) throws InvalidKeyException {
            q = null; // a failed re-initialisation must not leave the previous key in place
            if (!(publicKey instanceof ECPublicKey) || !isP256(((ECPublicKey) publicKey).getParams())) {
                throw new InvalidKeyException("not an EC P-256 public key; left to the JDK's provider");
            }
            ECPoint w = ((ECPublicKey) publicKey).getW();
            if (w == null || w.equals(ECPoint.POINT_INFINITY) || !P256.onCurve(w.getAffineX(), w.getAffineY())) {
                throw new InvalidKeyException("EC public key is not a point of P-256");
            }
            q = w;
            md.reset();
        }

        @Override
        protected void engineInitSign(PrivateKey privateKey) throws InvalidKeyException {
            throw new InvalidKeyException("verification only; signing is left to the JDK's provider");
        }

        @Override
        protected void engineUpdate(byte b) {
            md.update(b);
        }

        @Override
        protected void engineUpdate(byte[] b, int off, int len) {
            md.update(b, off, len);
        }

        @Override
        protected byte[] engineSign() throws SignatureException {
            throw new SignatureException("verification only");
        }

        @Override
        protected boolean engineVerify(byte[] sigBytes) throws SignatureException {
            if (q == null) throw new SignatureException("not initialised for verification");
            byte[] digest = md.digest();
            BigInteger[] rs = decodeDer(sigBytes);
            if (rs == null) throw new SignatureException("invalid ECDSA signature encoding");
            VERIFICATIONS.incrementAndGet();
            return P256.verify(q.getAffineX(), q.getAffineY(), digest, rs[0], rs[1]);
        }

        @Override
        @SuppressWarnings("deprecation")
        protected void engineSetParameter(String param, Object value) {
            throw new InvalidParameterException("no parameters");
        }

        @Override
        @SuppressWarnings("deprecation")
        protected Object engineGetParameter(String param) {
            throw new InvalidParameterException("no parameters");
        }
    }

    static boolean isP256(ECParameterSpec p) {
        if (p == null || p.getCofactor() != 1 || !(p.getCurve().getField() instanceof ECFieldFp)) return false;
        return ((ECFieldFp) p.getCurve().getField()).getP().equals(P256.P)
                && p.getCurve().getA().equals(P256.A) && p.getCurve().getB().equals(P256.B)
                && p.getOrder().equals(P256.N)
                && p.getGenerator().getAffineX().equals(P256.GX) && p.getGenerator().getAffineY().equals(P256.GY);
    }

    /**
     * DER {@code SEQUENCE { INTEGER r, INTEGER s }} with short-form lengths (a P-256 signature is at most 72 bytes),
     * minimal integers and nothing after the sequence; an integer's bytes are read as its magnitude, like SunEC's
     * decoder does. Null if the encoding is anything else. (P256VerifyTest checks the verdicts against SunEC.)
     */
    static BigInteger[] decodeDer(byte[] sig) {
        if (sig == null || sig.length < 8 || sig[0] != 0x30 || (sig[1] & 0xff) != sig.length - 2) return null;
        BigInteger[] out = new BigInteger[2];
        int p = 2;
        for (int k = 0; k < 2; k++) {
            if (p + 2 > sig.length || sig[p] != 0x02) return null;
            int len = sig[p + 1] & 0xff;
            p += 2;
            if (len == 0 || len > 33 || p + len > sig.length) return null;
            // an INTEGER with its top bit set (a missing 00 pad) is read as its magnitude, as SunEC does: refusing it
            // here would fail handshakes that work without this provider
            if (len > 1 && sig[p] == 0 && sig[p + 1] >= 0) return null; // not minimal
            out[k] = new BigInteger(1, Arrays.copyOfRange(sig, p, p + len));
            p += len;
        }
        return p == sig.length ? out : null;
    }
}
