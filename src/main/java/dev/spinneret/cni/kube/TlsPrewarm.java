package dev.spinneret.cni.kube;

import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPublicKeySpec;

import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.Mac;
import javax.net.ssl.SSLContext;

/**
 * Runs the JDK's one-time TLS set-up on the second CPU while the main thread reads the configuration, the kubeconfig
 * and its certificates (docs/cni.md, "Measured start-up"). In a fresh JVM the first {@code SSLContext.getInstance}
 * spends ~30 ms in static initialisers (every cipher suite checked against the algorithm constraints, every bulk cipher
 * looked up in the providers), and the first X25519, AES-GCM and HMAC uses each load and link their provider classes.
 * Nothing here is kept: it only leaves those classes initialised, so the main thread finds them ready (or waits for the
 * initialiser already running, never runs it twice). Any failure is ignored; the main thread then meets it itself.
 * {@code -Dspinneret.cni.prewarm=false} turns it off (for benchmarks).
 */
public final class TlsPrewarm implements Runnable {
    private static final boolean ENABLED = !"false".equals(System.getProperty("spinneret.cni.prewarm"));

    private final boolean p256;

    private TlsPrewarm(boolean p256) {
        this.p256 = p256;
    }

    /** Starts the TLS warm-up thread (a daemon: it never delays the exit). */
    public static void start() {
        startThread(new TlsPrewarm(false), "tls-prewarm");
    }

    /**
     * Starts building the JDK's table of multiples of the P-256 generator, which the first ECDSA P-256 signature check
     * or signature builds in its class initialiser: ~100 ms of CPU in a fresh JVM, needed when the API server's
     * certificate or the client key is EC P-256 (k3s, RKE2). Called as soon as the kubeconfig shows an EC key.
     */
    public static void startP256() {
        startThread(new TlsPrewarm(true), "p256-prewarm");
    }

    private static void startThread(Runnable r, String name) {
        if (!ENABLED) return;
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void run() {
        try {
            if (p256) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                g.generateKeyPair(); // a multiple of the generator: builds the table
                return;
            }
            SSLContext.getInstance("TLS");
            // the key exchange the plugin offers (HttpClient11: X25519 only) and the handshake's primitives
            KeyFactory.getInstance("XDH").generatePublic(new XECPublicKeySpec(NamedParameterSpec.X25519, BigInteger.valueOf(9)));
            KeyAgreement.getInstance("XDH");
            Cipher.getInstance("AES/GCM/NoPadding");
            Mac.getInstance("HmacSHA256");
            Mac.getInstance("HmacSHA384");
            MessageDigest.getInstance("SHA-256");
            MessageDigest.getInstance("SHA-384");
        } catch (Exception | Error e) {
            // only a warm-up: the main thread will meet the same problem and report it
        }
    }
}
