package dev.spinneret.cni.kube;

import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/** insecure-skip-tls-verify: true. Only for test clusters; logged as a warning. */
final class InsecureTrust implements X509TrustManager {
    static SSLContext create(javax.net.ssl.KeyManager[] kms) throws GeneralSecurityException {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(kms, new TrustManager[]{new InsecureTrust()}, null);
        return c;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
        // not a server
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
        // deliberately trusts everything
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
    }
}
