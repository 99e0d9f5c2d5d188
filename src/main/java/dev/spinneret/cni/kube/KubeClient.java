package dev.spinneret.cni.kube;

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

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;

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
        KeyManager[] kms = null;
        if (c.clientCertPem != null) {
            List<X509Certificate> chain = Pem.certificates(c.clientCertPem, "client certificate");
            PrivateKey key = Pem.privateKey(c.clientKeyPem, "client key");
            KeyStore ks = KeyStore.getInstance("PKCS12");
            try {
                ks.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            char[] pw = "x".toCharArray();
            ks.setKeyEntry("client", key, pw, chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            kms = kmf.getKeyManagers();
        }
        if (c.insecure) return InsecureTrust.create(kms);
        TrustManager[] tms = null;
        if (c.caPem != null) {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            try {
                ts.load(null, null);
            } catch (IOException e) {
                throw new GeneralSecurityException(e);
            }
            int n = 0;
            for (X509Certificate ca : Pem.certificates(c.caPem, "certificate authority")) {
                ts.setCertificateEntry("ca" + n++, ca);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            tms = tmf.getTrustManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tms, null);
        return ctx;
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
        String t = config.bearerToken();
        return t == null ? null : "Bearer " + t;
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
