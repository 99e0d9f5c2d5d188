package dev.spinneret.cni.kube;

import java.security.Key;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.ECKey;
import java.security.spec.ECGenParameterSpec;

/**
 * Builds the JDK's secp256r1 generator table on a second thread while the main thread sets up TLS, connects and
 * waits for the server. On JDK 24+ the first P-256 operation in a JVM precomputes multiples of the generator
 * ({@code ECOperations$Secp256R1GeneratorMontgomeryMultiplier}, about 60 scalar multiplications in C1-compiled
 * code), which costs more than the rest of the handshake (docs/cni.md, "Measured start-up"). The handshake needs it
 * to verify an ECDSA P-256 server certificate and signature (k3s, RKE2, kubeadm with ECDSA keys) or to sign with an
 * EC P-256 client key; the ClientHello itself offers only X25519 where the runtime allows it (HttpClient11).
 * <p>
 * Only the JDK's static table is shared with the handshake: the warm-up key pair is thrown away (the handshake
 * generates its own ephemeral keys and verifies its own signatures) and no security setting changes. Failures are
 * ignored; the handshake then does the work itself.
 */
final class TlsWarmup {
    private TlsWarmup() {
    }

    /** Whether the handshake will do P-256 arithmetic: a P-256 CA (so, most likely, server key), or client key. */
    static boolean p256Expected(PublicKey caKey, PrivateKey clientKey) {
        return isP256(caKey) || isP256(clientKey);
    }

    private static boolean isP256(Key k) {
        return k instanceof ECKey && ((ECKey) k).getParams().getCurve().getField().getFieldSize() == 256;
    }

    /** Starts the warm-up on a daemon thread. */
    static void start() {
        Thread t = new Thread(TlsWarmup::run, "tls-warmup");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
            g.initialize(new ECGenParameterSpec("secp256r1"));
            g.generateKeyPair();
        } catch (Exception | LinkageError e) {
            // nothing: the handshake does the same work itself
        }
    }
}
