package dev.spinneret.cni.kube;

import dev.spinneret.cni.Log;
import dev.spinneret.cni.json.Json;
import dev.spinneret.cni.json.JsonException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import java.net.Socket;
import java.security.Principal;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/** Just enough of a Kubernetes REST client for the CNI plugin: GET, POST, merge-PATCH of JSON objects. */
public final class KubeClient implements AutoCloseable {
    private final KubeConfig config;
    private final HttpClient11 http;

    public KubeClient(KubeConfig config, long deadlineNanos) throws GeneralSecurityException {
        this.config = config;
        SSLContext ssl = "https".equals(config.server.getScheme()) ? sslContext(config) : null;
        this.http = new HttpClient11(config.server, ssl, config.tlsServerName, deadlineNanos);
    }

    static SSLContext sslContext(KubeConfig c) throws GeneralSecurityException {
        // An EC P-256 CA, so most likely an EC P-256 server: P256Provider verifies its signatures instead of the JDK's
        // verifier, which first builds a table of generator multiples. Signing with an EC P-256 client key needs that
        // table all the same (as does verifying when P256Provider is off): start building it now, on its own thread.
        boolean p256Ca = Pem.mentionsP256(c.caPem);
        if (p256Ca) {
            P256Provider.install();
            if (P256Provider.installed()) Log.debug("EC P-256 CA: ECDSA P-256 signatures verified by P256Provider");
        }
        if (Pem.mentionsP256(c.clientKeyPem) || (p256Ca && !P256Provider.installed())) TlsPrewarm.startP256();
        KeyManager[] kms = null;
        if (c.clientCertPem != null) {
            List<X509Certificate> chain = Pem.certificates(c.clientCertPem, "client certificate");
            PrivateKey key = Pem.privateKey(c.clientKeyPem, "client key");
            // a direct key manager: a PKCS12 KeyStore would PBE-encrypt the key (10,000 PBKDF2 rounds) on every exec
            kms = new KeyManager[]{new ClientKeyManager(key, chain.toArray(new X509Certificate[0]))};
        }
        if (c.insecure) {
            SSLContext insecure = InsecureTrust.create(kms);
            discardSessionTickets(insecure);
            return insecure;
        }
        KeyStore ts = null;
        if (c.caPem != null) {
            ts = KeyStore.getInstance("PKCS12");
            try {
                ts.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            int n = 0;
            for (X509Certificate ca : Pem.certificates(c.caPem, "certificate authority")) {

                ts.setCertificateEntry("ca" + n++, ca);
            }
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts); // null: the runtime's default trust store, as before
        X509ExtendedTrustManager pkix = null;
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager) pkix = (X509ExtendedTrustManager) tm;
        }
        if (pkix == null) throw new GeneralSecurityException("no X.509 trust manager in this runtime");
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, new TrustManager[]{new HostnameTrustManager(pkix, expectedServerName(c))}, null);
        discardSessionTickets(ctx);
        return ctx;
    }

    /**
     * The plugin makes one connection per process and never resumes a TLS session, so the TLS 1.3 session tickets a
     * kube-apiserver sends after the handshake are of no use. The JDK's client discards every ticket when its session
     * cache lifetime exceeds the 7-day ticket maximum (RFC 8446 4.6.1), instead of deriving a resumption secret and
     * caching a session for each one.
     */
    static void discardSessionTickets(SSLContext ctx) {
        ctx.getClientSessionContext().setSessionTimeout(7 * 24 * 3600 + 1);
    }

    /** The name the server certificate must be valid for: tls-server-name if set (also sent as SNI), else the URL's host. */
    static String expectedServerName(KubeConfig c) {
        if (c.tlsServerName != null && !c.tlsServerName.isEmpty()) return c.tlsServerName;
        return c.server.getHost();
    }

    /** Presents the kubeconfig's client certificate whenever the server asks for one of a matching key type. */
    static final class ClientKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final PrivateKey key;
        private final X509Certificate[] chain;

        ClientKeyManager(PrivateKey key, X509Certificate[] chain) {
            this.key = key;
            this.chain = chain;
        }

        private boolean matches(String keyType) {
            String alg = key.getAlgorithm();
            if (keyType == null) return false;
            if (keyType.equals(alg)) return true;
            if (alg.equals("RSA") && keyType.equals("RSASSA-PSS")) return true;
            if (alg.equals("EC") && keyType.startsWith("EC")) return true;
            return (alg.equals("EdDSA") || alg.equals("Ed25519")) && (keyType.equals("EdDSA") || keyType.equals("Ed25519"));
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return matches(keyType) ? new String[]{ALIAS} : null;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            if (keyTypes != null) for (String k : keyTypes) if (matches(k)) return ALIAS;
            return null;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return chooseClientAlias(keyTypes, issuers, null);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return ALIAS.equals(alias) ? chain.clone() : null;
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return ALIAS.equals(alias) ? key : null;
        }
    }

    public KubeConfig config() {
        return config;
    }

    /** GET a JSON object; null on 404. */
    public Map<String, Object> get(String path) throws IOException, ApiException {
        HttpClient11.Response r = http.send("GET", path, auth(), null, null);
        if (r.status == 404) return null;
        return objectOrThrow(r, "GET", path);
    }

    /** POST a JSON object; returns the created object. */
    public Map<String, Object> create(String path, Map<String, Object> body) throws IOException, ApiException {
        HttpClient11.Response r = http.send("POST", path, auth(), "application/json", Json.write(body).getBytes(StandardCharsets.UTF_8));
        return objectOrThrow(r, "POST", path);
    }

    /** JSON merge patch (RFC 7386); returns the patched object, or null on 404. */
    public Map<String, Object> mergePatch(String path, Map<String, Object> patch) throws IOException, ApiException {
        HttpClient11.Response r = http.send("PATCH", path, auth(), "application/merge-patch+json", Json.write(patch).getBytes(StandardCharsets.UTF_8));
        if (r.status == 404) return null;
        return objectOrThrow(r, "PATCH", path);
    }

    private String auth() throws IOException {
        String t;
        try {
            t = config.bearerToken();
        } catch (IOException e) {
            throw new TokenFileException("cannot read tokenFile " + config.tokenFile + ": " + e);
        }
        return t == null || t.isEmpty() ? null : "Bearer " + t;
    }

    /** The kubeconfig's tokenFile could not be read (installer not run yet, or the file was removed). */
    public static final class TokenFileException extends IOException {
        TokenFileException(String m) {
            super(m);
        }
    }

    private static Map<String, Object> objectOrThrow(HttpClient11.Response r, String method, String path) throws ApiException, IOException {
        Object parsed = null;
        try {
            parsed = r.body.length == 0 ? null : Json.parse(r.text());
        } catch (JsonException e) {
            if (r.status / 100 == 2) throw new IOException(method + " " + path + ": cannot decode response: " + e.getMessage());
        }
        if (r.status / 100 != 2) {
            String reason = Json.str(parsed, "reason");
            String msg = Json.str(parsed, "message");
            if (msg == null) {
                String t = r.text();
                msg = t.length() > 300 ? t.substring(0, 300) : t;
            }
            throw new ApiException(r.status, reason, method + " " + path + ": HTTP " + r.status
                    + (reason == null ? "" : " " + reason) + (msg.isEmpty() ? "" : ": " + msg));
        }
        if (!(parsed instanceof Map)) throw new IOException(method + " " + path + ": response is not a JSON object");
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) parsed;
        return m;
    }

    @Override
    public void close() {
        http.close();
    }
}
