package dev.spinneret.cni.kube;

import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HostnameTrustManagerTest {
    private static Collection<List<?>> sans(Object... typeValue) {
        java.util.ArrayList<List<?>> out = new java.util.ArrayList<>();
        for (int i = 0; i < typeValue.length; i += 2) out.add(List.of(typeValue[i], typeValue[i + 1]));
        return out;
    }

    private static final int DNS = 2;
    private static final int IP = 7;

    @Test
    void ipLiteralsMatchOnlyIpSans() {
        Collection<List<?>> s = sans(DNS, "10.96.0.1", IP, "10.0.0.1", IP, "0:0:0:0:0:0:0:1", IP, "fd00:0:0:0:0:0:0:10");
        assertTrue(HostnameTrustManager.matches(s, "10.0.0.1"));
        assertTrue(HostnameTrustManager.matches(s, "::1"));
        assertTrue(HostnameTrustManager.matches(s, "[::1]"));
        assertTrue(HostnameTrustManager.matches(s, "fd00::10"));
        assertFalse(HostnameTrustManager.matches(s, "10.96.0.1"), "an IP literal never matches a DNS SAN");
        assertFalse(HostnameTrustManager.matches(s, "10.0.0.2"));
        assertFalse(HostnameTrustManager.matches(s, "fd00::11"));
    }

    @Test
    void namesMatchDnsSans() {
        Collection<List<?>> s = sans(DNS, "kubernetes.default.svc", DNS, "API.Example.COM.", DNS, "*.k8s.example.net", IP, "10.0.0.1");
        assertTrue(HostnameTrustManager.matches(s, "kubernetes.default.svc"));
        assertTrue(HostnameTrustManager.matches(s, "api.example.com"));
        assertTrue(HostnameTrustManager.matches(s, "api.example.com."));
        assertTrue(HostnameTrustManager.matches(s, "cp1.k8s.example.net"));
        assertFalse(HostnameTrustManager.matches(s, "k8s.example.net"), "a wildcard needs a label");
        assertFalse(HostnameTrustManager.matches(s, "a.cp1.k8s.example.net"), "a wildcard covers one label");
        assertFalse(HostnameTrustManager.matches(s, "kubernetes.default"));
        assertFalse(HostnameTrustManager.matches(s, "evil-kubernetes.default.svc"));
        assertFalse(HostnameTrustManager.matches(s, ""));
        assertFalse(HostnameTrustManager.matches(null, "kubernetes.default.svc"), "no SANs: the CN is not used");
    }

    @Test
    void onlyWholeLeftmostLabelWildcards() {
        assertFalse(HostnameTrustManager.matches(sans(DNS, "a*.example.com"), "ab.example.com"));
        assertFalse(HostnameTrustManager.matches(sans(DNS, "*.*.example.com"), "a.b.example.com"));
        assertFalse(HostnameTrustManager.matches(sans(DNS, "*."), "a."));
        assertFalse(HostnameTrustManager.matches(sans(DNS, "*"), "localhost"));
    }
}
