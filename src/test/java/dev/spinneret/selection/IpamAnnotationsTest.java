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
class IpamAnnotationsTest {
    private static List<InterfaceRequest> req(Map<String, String> pod, Map<String, String> ns) {
        return IpamAnnotations.requests(pod, ns, List.of("default-v4"), List.of("default-v6"));
    }

    @Test
    void ippoolsWinsOverIppoolWhichWinsOverNamespaceWhichWinsOverClusterDefaults() {
        Map<String, String> ns = Map.of(IpamAnnotations.NS_DEFAULT_V4, "[\"ns-pool\"]");
        assertEquals(List.of("default-v4"), req(Map.of(), Map.of()).get(0).ipv4());
        assertEquals(List.of("default-v6"), req(Map.of(), Map.of()).get(0).ipv6());
        assertEquals(List.of("ns-pool"), req(Map.of(), ns).get(0).ipv4());
        assertEquals(List.of(), req(Map.of(), ns).get(0).ipv6());
        Map<String, String> pod = Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"a\"]}");
        assertEquals(List.of("a"), req(pod, ns).get(0).ipv4());
        Map<String, String> both = Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"a\"]}", IpamAnnotations.IPPOOLS,
                "[{\"interface\":\"eth0\",\"ipv4\":[\"b\"]}]");
        assertEquals(List.of("b"), req(both, ns).get(0).ipv4());
    }

    @Test
    void userOrderIsKept() {
        var r = req(Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"zeta\",\"alpha\",\"mid-*\"]}"), Map.of());
        assertEquals(List.of("zeta", "alpha", "mid-*"), r.get(0).ipv4());
    }

    @Test
    void unnamedIppoolsItemsAreEth0Net1Net2() {
        var r = req(Map.of(IpamAnnotations.IPPOOLS, "[{\"ipv4\":[\"a\"]},{\"ipv4\":[\"b\"]},{\"ipv6\":[\"c\"]}]"),
                Map.of());
        assertEquals(List.of("eth0", "net1", "net2"), r.stream().map(InterfaceRequest::iface).toList());
    }

    @Test
    void noRulesAtAllGivesNoRequest() {
        assertTrue(IpamAnnotations.requests(Map.of(), Map.of(), List.of(), List.of()).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = { "", "not json", "{\"ipv4\":\"a\"}", "[\"a\"]", "{\"ipv4\":[1]}", "{\"ipv4\":[\"\"]}",
            "{}", "{\"ipv4\":[\"a\",\"a\"]}", "{\"ipv4\":[\"bad[\"]}" })
    void malformedIppoolIsRefusedQuotingIt(String value) {
        var e = assertThrows(AnnotationException.class, () -> req(Map.of(IpamAnnotations.IPPOOL, value), Map.of()));
        assertTrue(e.getMessage().contains(IpamAnnotations.IPPOOL), e.getMessage());
        assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = { "[]", "{}", "[1]", "[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},{\"ipv4\":[\"b\"]}]",
            "[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},{\"interface\":\"eth0\",\"ipv4\":[\"b\"]}]",
            "[{\"interface\":\"eth0\"}]", "[{\"interface\":\"a very long interface name\",\"ipv4\":[\"a\"]}]",
            "[{\"interface\":\"eth0\",\"ipv4\":[\"a\"],\"cleangateway\":\"yes\"}]" })
    void malformedIppoolsIsRefused(String value) {
        var e = assertThrows(AnnotationException.class, () -> req(Map.of(IpamAnnotations.IPPOOLS, value), Map.of()));
        assertTrue(e.getMessage().contains(IpamAnnotations.IPPOOLS), e.getMessage());
    }

    @Test
    void malformedNamespaceDefaultIsRefused() {
        var e = assertThrows(AnnotationException.class,
                () -> req(Map.of(), Map.of(IpamAnnotations.NS_DEFAULT_V4, "ns-pool")));
        assertTrue(e.getMessage().contains("[\"pool-a\",\"pool-b\"]"), e.getMessage());
    }

    @Test
    void subnetAnnotationsAreLeftToSubnetAnnotations() {
        // the pod webhook reads subnet annotations first (SubnetAnnotations); the pool parser ignores them
        assertEquals(List.of("default-v4"), req(Map.of(IpamAnnotations.SUBNET,
                "{\"interface\":\"eth0\",\"ipv4\":[\"s\"]}"), Map.of()).get(0).ipv4());
    }
}
