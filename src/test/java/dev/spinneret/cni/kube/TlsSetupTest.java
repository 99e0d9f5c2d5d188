package dev.spinneret.cni.kube;

import dev.spinneret.cni.FakeApiServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Collections;

import javax.net.ssl.SSLContext;

import static dev.spinneret.cni.kube.KubeConfigTest.res;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The start-up measures of the plugin's TLS client do what they claim and change nothing else. */
class TlsSetupTest {
    @Test
    void p256HintFindsTheCurveInCertificatesAndKeysOnly() throws Exception {
        assertTrue(Pem.mentionsP256(res("ec.crt")));
        assertTrue(Pem.mentionsP256(res("ec-sec1.key")));
        assertTrue(Pem.mentionsP256(res("ec-pkcs8.key")));
        assertFalse(Pem.mentionsP256(res("rsa.crt")));
        assertFalse(Pem.mentionsP256(res("rsa-pkcs1.key")));
        assertFalse(Pem.mentionsP256(null));
        assertFalse(Pem.mentionsP256("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n".getBytes(StandardCharsets.US_ASCII)));
        // an RSA bundle followed by an EC certificate still counts
        byte[] both = (new String(res("rsa.crt"), StandardCharsets.US_ASCII) + new String(res("ec.crt"), StandardCharsets.US_ASCII))
                .getBytes(StandardCharsets.US_ASCII);
        assertTrue(Pem.mentionsP256(both));
    }

    @Test
    void sessionTicketsAreDiscardedAndTheRequestStillSucceeds(@TempDir Path dir) throws Exception {
        try (FakeApiServer server = new FakeApiServer()) {
            server.addPod("default", "p", "uid-p", dev.spinneret.cni.Fixtures.DUAL_STACK);
            KubeConfig kc = KubeConfig.load(server.writeKubeconfig(dir));

            // control: with the JDK's defaults the client caches the handshake's session and one per ticket the server sends
            SSLContext plain = KubeClient.sslContext(kc);
            plain.getClientSessionContext().setSessionTimeout(86400);
            int withTickets = getPodAndCountCachedSessions(kc, plain);

            SSLContext ctx = KubeClient.sslContext(kc);
            assertTrue(ctx.getClientSessionContext().getSessionTimeout() > 7 * 24 * 3600);
            assertEquals(1, getPodAndCountCachedSessions(kc, ctx), "only the handshake's own session, no ticket");
            assertTrue(withTickets > 1, "the server sent no ticket (" + withTickets + " sessions cached): nothing was tested");
        }
    }

    @Test
    void anEcP256ServerIsVerifiedByTheP256Provider(@TempDir Path dir) throws Exception {
        try (FakeApiServer server = new FakeApiServer()) { // EC P-256, self-signed
            server.addPod("default", "p", "uid-p", dev.spinneret.cni.Fixtures.DUAL_STACK);
            KubeConfig kc = KubeConfig.load(server.writeKubeconfig(dir));
            P256Provider.allowInstall();
            try {
                long before = P256Provider.verifications();
                getPodAndCountCachedSessions(kc, KubeClient.sslContext(kc));
                assertTrue(P256Provider.installed());
                assertTrue(P256Provider.verifications() > before, "the server's CertificateVerify went through P256Provider");
            } finally {
                P256Provider.uninstall();
            }
        }
    }

    private static int getPodAndCountCachedSessions(KubeConfig kc, SSLContext ctx) throws Exception {
        try (HttpClient11 http = new HttpClient11(kc.server, ctx, null, System.nanoTime() + 10_000_000_000L)) {
            HttpClient11.Response r = http.send("GET", "/api/v1/namespaces/default/pods/p", "Bearer " + FakeApiServer.TOKEN, null, null);
            assertEquals(200, r.status);
            assertNotNull(r.body);
        }
        return Collections.list(ctx.getClientSessionContext().getIds()).size();
    }
}
