package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class MultusAnnotationsTest {
    private static List<NetworkSelection> nets(String value) {
        return MultusAnnotations.networks(Map.of(MultusAnnotations.NETWORKS, value), "app");
    }

    @Test
    void commaFormNamesInterfacesLikeMultus() {
        var n = nets(" macvlan-ens224@net1, kube-system/ipvlan , other/sriov@data0,plain");
        assertEquals(List.of("app/macvlan-ens224", "kube-system/ipvlan", "other/sriov", "app/plain"),
                n.stream().map(NetworkSelection::key).toList());
        // unnamed networks are net<position>, counting every network before them
        assertEquals(List.of("net1", "net2", "data0", "net4"), n.stream().map(NetworkSelection::iface).toList());
        assertTrue(n.get(0).ips().isEmpty());
    }

    @Test
    void jsonFormReadsInterfaceNamespaceAndIps() {
        var n = nets("[{\"name\":\"macvlan\",\"interface\":\"net7\",\"ips\":[\"10.6.1.20/24\",\"fd00::20\"]},"
                + "{\"name\":\"ipvlan\",\"namespace\":\"kube-system\"}]");
        assertEquals("app/macvlan", n.get(0).key());
        assertEquals("net7", n.get(0).iface());
        assertEquals("10.6.1.20", n.get(0).ips().get(0).address().toString());
        assertEquals(24, n.get(0).ips().get(0).prefixLength());
        assertEquals(null, n.get(0).ips().get(1).prefixLength());
        assertEquals("kube-system/ipvlan", n.get(1).key());
        assertEquals("net2", n.get(1).iface());
    }

    @Test
    void defaultNetworkIsEth0InMultusNamespace() {
        var d = MultusAnnotations.defaultNetwork(Map.of(MultusAnnotations.DEFAULT_NETWORK, "calico-spinneret"),
                "kube-system").orElseThrow();
        assertEquals("kube-system/calico-spinneret", d.key());
        assertEquals("eth0", d.iface());
        var e = assertThrows(AnnotationException.class, () -> MultusAnnotations.defaultNetwork(
                Map.of(MultusAnnotations.DEFAULT_NETWORK, "a,b"), "kube-system"));
        assertTrue(e.getMessage().contains("exactly one"), e.getMessage());
    }

    @Test
    void blankOrAbsentMeansNoNetworks() {
        assertEquals(List.of(), nets("  "));
        assertEquals(List.of(), MultusAnnotations.networks(Map.of(), "app"));
        assertEquals(List.of(), MultusAnnotations.networks(null, "app"));
        assertTrue(MultusAnnotations.defaultNetwork(Map.of(), "kube-system").isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = { "a,,b", "a/b/c", "a@b@c", "Upper", "a_b", "ns/-x", "[]", "[1]", "{\"name\":\"a\"}",
            "[{\"namespace\":\"x\"}]", "[{\"name\":\"a\",\"ips\":\"10.0.0.1\"}]",
            "[{\"name\":\"a\",\"ips\":[\"10.0.0.300\"]}]", "[{\"name\":\"a\",\"ips\":[\"10.0.0.1/40\"]}]",
            "[{\"name\":\"a\",\"ips\":[\"10.0.0.1\",\"10.0.0.2\"]}]", "[{\"name\":\"a\",\"interface\":7}]",
            "[{\"name\":\"a\",\"interface\":\"a-very-long-interface\"}]", "[not json" })
    void malformedSelectionsAreRefusedQuotingThem(String value) {
        var e = assertThrows(AnnotationException.class, () -> nets(value));
        assertTrue(e.getMessage().contains(MultusAnnotations.NETWORKS), e.getMessage());
        assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    @Test
    void twoNetworksOnOneInterfaceOrOnEth0AreRefused() {
        var e = assertThrows(AnnotationException.class, () -> nets("a@net2,b"));
        assertTrue(e.getMessage().contains("both be interface net2"), e.getMessage());
        e = assertThrows(AnnotationException.class, () -> nets("a@eth0"));
        assertTrue(e.getMessage().contains(MultusAnnotations.DEFAULT_NETWORK), e.getMessage());
    }
}
