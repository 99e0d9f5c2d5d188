package dev.spinneret.cni.kube;

import java.net.InetAddress;
import java.net.Socket;
import java.net.UnknownHostException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * The JDK's PKIX trust manager plus server identity verification done here instead of by the JDK's endpoint
 * identification ({@code SSLParameters.setEndpointIdentificationAlgorithm("HTTPS")}). The JDK's check first loads and
 * parses every certificate in the runtime's cacerts file ({@code sun.security.util.AnchorCertificates}, to treat
 * public CAs specially), which costs 30-90 ms in a fresh JVM, once per CNI call (docs/cni.md, "Measured start-up").
 * <p>
 * The rules are Go's {@code crypto/x509} ones, which client-go, kubelet and kubectl use against the same API server:
 * an IP literal matches an IP address SAN; a name matches a DNS SAN case-insensitively, a wildcard only as the whole
 * left-most label ({@code *.example.com} matches {@code a.example.com}, not {@code example.com} nor
 * {@code a.b.example.com}); the subject CN is never used. The chain itself is validated by the delegate first, with
 * the handshake's algorithm constraints.
 */
final class HostnameTrustManager extends X509ExtendedTrustManager {
    private final X509ExtendedTrustManager pkix;
    private final String expected;

    /** @param expected the name the server must prove: the kubeconfig's tls-server-name, else the server URL's host */
    HostnameTrustManager(X509ExtendedTrustManager pkix, String expected) {
        this.pkix = pkix;
        this.expected = expected;
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        pkix.checkServerTrusted(chain, authType, socket);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        pkix.checkServerTrusted(chain, authType, engine);
        checkIdentity(chain);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        pkix.checkServerTrusted(chain, authType);
        checkIdentity(chain);
    }

    private void checkIdentity(X509Certificate[] chain) throws CertificateException {
        if (chain == null || chain.length == 0) throw new CertificateException("no server certificate");
        if (!matches(chain[0].getSubjectAlternativeNames(), expected)) {
            throw new CertificateException("the API server certificate is not valid for '" + expected + "' (subject alternative names: "
                    + describe(chain[0]) + ")");
        }
    }

    /** @param sans as returned by {@link X509Certificate#getSubjectAlternativeNames()} (null: none) */
    static boolean matches(Collection<List<?>> sans, String host) {
        if (sans == null || host == null || host.isEmpty()) return false;
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        byte[] ip = ipLiteral(h);
        for (List<?> san : sans) {
            if (san.size() < 2 || !(san.get(0) instanceof Integer) || !(san.get(1) instanceof String)) continue;
            int type = (Integer) san.get(0);
            String value = (String) san.get(1);
            if (ip != null) {
                if (type == 7 && java.util.Arrays.equals(ip, ipLiteral(value))) return true;
            } else if (type == 2 && dnsMatches(value, h)) {
                return true;
            }
        }
        return false;
    }

    private static boolean dnsMatches(String pattern, String host) {
        String p = trimDot(pattern).toLowerCase(Locale.ROOT);
        String h = trimDot(host).toLowerCase(Locale.ROOT);
        if (p.isEmpty() || h.isEmpty()) return false;
        if (!p.startsWith("*.")) return p.equals(h);
        String suffix = p.substring(1); // ".example.com"
        if (suffix.indexOf('*') >= 0 || suffix.length() < 2) return false;
        int dot = h.indexOf('.');
        return dot > 0 && h.substring(dot).equals(suffix);
    }

    private static String trimDot(String s) {
        return s.endsWith(".") ? s.substring(0, s.length() - 1) : s;
    }

    /** The address bytes of an IPv4/IPv6 literal, else null (never resolves names). */
    static byte[] ipLiteral(String s) {
        if (s == null || s.isEmpty()) return null;
        boolean v6 = s.indexOf(':') >= 0;
        if (!v6 && !s.matches("[0-9]{1,3}(\\.[0-9]{1,3}){3}")) return null;
        if (v6 && !s.matches("[0-9A-Fa-f:.]+")) return null;
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static String describe(X509Certificate cert) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans == null) return "none";
            StringBuilder b = new StringBuilder();
            for (List<?> san : sans) {
                if (san.size() < 2 || !(san.get(1) instanceof String)) continue;
                if (b.length() > 0) b.append(", ");
                b.append(Integer.valueOf(7).equals(san.get(0)) ? "IP:" : Integer.valueOf(2).equals(san.get(0)) ? "DNS:" : "other:").append(san.get(1));
            }
            return b.length() == 0 ? "none" : b.toString();
        } catch (CertificateParsingException e) {
            return "unreadable";
        }
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return pkix.getAcceptedIssuers();
    }
}
