package dev.spinneret.cni;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.util.Base64;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** A self-signed server certificate (SAN 127.0.0.1, ::1, localhost) generated once per JVM with the JDK's keytool. */
public final class TestTls {
    private static SSLContext context;
    private static String caPem;

    private TestTls() {
    }

    public static synchronized SSLContext serverContext() throws Exception {
        init();
        return context;
    }

    /** A server context that also trusts {@code clientCa} for client authentication. */
    public static synchronized SSLContext serverContext(java.security.cert.X509Certificate clientCa) throws Exception {
        init();
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("client-ca", clientCa);
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(keyManagers, tmf.getTrustManagers(), null);
        return c;
    }

    private static javax.net.ssl.KeyManager[] keyManagers;

    public static synchronized String caPem() throws Exception {
        init();
        return caPem;
    }

    private static void init() throws Exception {
        if (context != null) return;
        Path dir = Files.createTempDirectory("spn-tls");
        Path ks = dir.resolve("server.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        // EC P-256 like k3s/rke2 API servers by default; -Dspinneret.test.keyalg=RSA for kubeadm-style RSA 2048
        boolean rsa = "RSA".equalsIgnoreCase(System.getProperty("spinneret.test.keyalg", "EC"));
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "api", "-keyalg", rsa ? "RSA" : "EC", rsa ? "-keysize" : "-groupname", rsa ? "2048" : "secp256r1",
                "-dname", "CN=fake-apiserver", "-ext", "san=ip:127.0.0.1,ip:::1,dns:localhost", "-validity", "3",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (p.waitFor() != 0) throw new IOException("keytool failed: " + out);
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(ks.toFile())) {
            store.load(in, "changeit".toCharArray());
        }
        Certificate cert = store.getCertificate("api");
        caPem = "-----BEGIN CERTIFICATE-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(cert.getEncoded())
                + "\n-----END CERTIFICATE-----\n";
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext c = SSLContext.getInstance("TLS");
        keyManagers = kmf.getKeyManagers();
        c.init(keyManagers, null, null);
        context = c;
        Files.delete(ks);
        Files.delete(dir);
    }
}
