package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class PodInterfacesTest {
    static final String MACVLAN = "{\"cniVersion\":\"1.0.0\",\"type\":\"macvlan\",\"master\":\"ens224\",\"ipam\":"
            + "{\"type\":\"spinneret\",\"default_ipv4_ippool\":[\"macvlan-v4\"]}}";
    static final String IPVLAN = "{\"cniVersion\":\"1.0.0\",\"plugins\":[{\"type\":\"ipvlan\",\"ipam\":"
            + "{\"type\":\"spiderpool\",\"default_ipv4_ippool\":[\"ipvlan-v4\"],\"default_ipv6_ippool\":[\"ipvlan-v6\"]}}]}";
    static final String WHEREABOUTS = "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"whereabouts\",\"range\":\"10.9.0.0/24\"}}";
    static final String NO_DEFAULTS = "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\"}}";

    final Map<String, String> nads = new HashMap<>(Map.of("app/macvlan", MACVLAN, "kube-system/ipvlan", IPVLAN,
            "app/whereabouts", WHEREABOUTS, "app/bare", NO_DEFAULTS, "kube-system/calico-spinneret", NO_DEFAULTS,
            "app/broken", "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":\"x\"}}"));
    List<String> clusterV4 = List.of();

    List<InterfaceRequest> plan(boolean primary, Map<String, String> pod, Map<String, String> ns) {
        return PodInterfaces.requests(pod, ns, "app", new PodInterfaces.Settings(primary, "kube-system"),
                (n, name) -> Optional.ofNullable(nads.get(n + "/" + name)), clusterV4, List.of(), Set.of());
    }

    static List<String> ifaces(List<InterfaceRequest> r) {
        return r.stream().map(InterfaceRequest::iface).toList();
    }

    @Test
    void plainPodIsServedOnlyInPrimaryMode() {
        assertEquals(List.of(), plan(false, Map.of(), Map.of()));
        clusterV4 = List.of("default-v4");
        assertEquals(List.of(), plan(false, Map.of(), Map.of(IpamAnnotations.NS_DEFAULT_V4, "[\"ns-v4\"]")),
                "namespace defaults alone do not make a pod Spinneret's in secondary mode");
        var r = plan(true, Map.of(), Map.of());
        assertEquals(List.of("eth0"), ifaces(r));
        assertEquals(List.of("default-v4"), r.get(0).ipv4());
    }

    @Test
    void multusNetworkWithSpinneretIpamGetsItsDefaultPoolUnderItsInterfaceName() {
        var r = plan(false, Map.of(MultusAnnotations.NETWORKS, "macvlan@net1"), Map.of());
        assertEquals(List.of("net1"), ifaces(r));
        assertEquals(List.of("macvlan-v4"), r.get(0).ipv4());
        assertTrue(r.get(0).source().contains("NetworkAttachmentDefinition app/macvlan"), r.get(0).source());
    }

    @Test
    void twoNetworksTwoInterfacesOtherIpamSkipped() {
        var r = plan(false, Map.of(MultusAnnotations.NETWORKS, "macvlan, whereabouts, kube-system/ipvlan"), Map.of());
        assertEquals(List.of("net1", "net3"), ifaces(r));
        assertEquals(List.of("ipvlan-v6"), r.get(1).ipv6());
        // in primary mode eth0 comes first
        clusterV4 = List.of("default-v4");
        assertEquals(List.of("eth0", "net1", "net3"),
                ifaces(plan(true, Map.of(MultusAnnotations.NETWORKS, "macvlan, whereabouts, kube-system/ipvlan"),
                        Map.of())));
    }

    @Test
    void onlyOtherIpamMeansUntouched() {
        assertEquals(List.of(), plan(false, Map.of(MultusAnnotations.NETWORKS, "whereabouts@net1"), Map.of()));
    }

    @Test
    void missingOrBrokenNetworkIsRefusedNamingIt() {
        var e = assertThrows(SelectionDenied.class,
                () -> plan(false, Map.of(MultusAnnotations.NETWORKS, "nope@net1"), Map.of()));
        assertEquals("NoNetwork", e.reason());
        assertTrue(e.getMessage().contains("app/nope") && e.getMessage().contains("does not exist"), e.getMessage());
        e = assertThrows(SelectionDenied.class, () -> plan(false, Map.of(MultusAnnotations.NETWORKS, "broken"),
                Map.of()));
        assertEquals("BadNetwork", e.reason());
        assertTrue(e.getMessage().contains("app/broken") && e.getMessage().contains("default_ipv4_ippool"),
                e.getMessage());
    }

    @Test
    void precedencePerInterface() {
        Map<String, String> ns = Map.of(IpamAnnotations.NS_DEFAULT_V4, "[\"ns-v4\"]");
        clusterV4 = List.of("default-v4");
        String nets = "macvlan@net1";
        // network default < namespace default
        assertEquals(List.of("ns-v4"), plan(false, Map.of(MultusAnnotations.NETWORKS, nets), ns).get(0).ipv4());
        // cluster default < network default
        assertEquals(List.of("macvlan-v4"), plan(false, Map.of(MultusAnnotations.NETWORKS, nets), Map.of()).get(0)
                .ipv4());
        // a network without defaults falls through to cluster defaults
        assertEquals(List.of("default-v4"), plan(false, Map.of(MultusAnnotations.NETWORKS, "bare"), Map.of()).get(0)
                .ipv4());
        // pod ippool applies to the first served interface (net1 in secondary mode, eth0 in primary)
        Map<String, String> ippool = Map.of(MultusAnnotations.NETWORKS, nets, IpamAnnotations.IPPOOL,
                "{\"ipv4\":[\"pod-v4\"]}");
        var sec = plan(false, ippool, ns);
        assertEquals(List.of("net1"), ifaces(sec));
        assertEquals(List.of("pod-v4"), sec.get(0).ipv4());
        var prim = plan(true, ippool, ns);
        assertEquals(List.of("eth0", "net1"), ifaces(prim));
        assertEquals(List.of("pod-v4"), prim.get(0).ipv4());
        assertEquals(List.of("ns-v4"), prim.get(1).ipv4());
        // pod ippools names interfaces; the rest fall through
        Map<String, String> ippools = Map.of(MultusAnnotations.NETWORKS, "macvlan@net1,kube-system/ipvlan@net2",
                IpamAnnotations.IPPOOLS, "[{\"interface\":\"net2\",\"ipv4\":[\"pod-net2\"]}]",
                IpamAnnotations.IPPOOL, "{\"ipv4\":[\"ignored\"]}");
        var r = plan(false, ippools, Map.of());
        assertEquals(List.of("net1", "net2"), ifaces(r));
        assertEquals(List.of("macvlan-v4"), r.get(0).ipv4());
        assertEquals(List.of("pod-net2"), r.get(1).ipv4());
    }

    @Test
    void podAnnotationsAskForEth0InSecondaryMode() {
        var r = plan(false, Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"pod-v4\"]}"), Map.of());
        assertEquals(List.of("eth0"), ifaces(r));
        r = plan(false, Map.of(IpamAnnotations.IPPOOLS, "[{\"interface\":\"eth0\",\"ipv4\":[\"a\"]},"
                + "{\"interface\":\"net1\",\"ipv4\":[\"b\"]}]"), Map.of());
        assertEquals(List.of("eth0", "net1"), ifaces(r));
    }

    @Test
    void defaultNetworkDecidesEth0() {
        clusterV4 = List.of("default-v4");
        // another IPAM on eth0: not served even in primary mode
        nads.put("kube-system/other", WHEREABOUTS);
        assertEquals(List.of(), plan(true, Map.of(MultusAnnotations.DEFAULT_NETWORK, "other"), Map.of()));
        // Spinneret IPAM on eth0: served even in secondary mode
        var r = plan(false, Map.of(MultusAnnotations.DEFAULT_NETWORK, "calico-spinneret"), Map.of());
        assertEquals(List.of("eth0"), ifaces(r));
        assertEquals(List.of("default-v4"), r.get(0).ipv4());
        var e = assertThrows(SelectionDenied.class,
                () -> plan(true, Map.of(MultusAnnotations.DEFAULT_NETWORK, "app/calico"), Map.of()));
        assertTrue(e.getMessage().contains("app/calico"), e.getMessage());
    }

    @Test
    void servedInterfaceWithoutAnyPoolIsRefusedSayingWhatWasTried() {
        var e = assertThrows(SelectionDenied.class, () -> plan(false, Map.of(MultusAnnotations.NETWORKS, "bare"),
                Map.of()));
        assertEquals("NoPool", e.reason());
        assertTrue(e.getMessage().contains("interface net1") && e.getMessage().contains("app/bare")
                && e.getMessage().contains("spec.default: true"), e.getMessage());
        e = assertThrows(SelectionDenied.class, () -> plan(true, Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("no IP pool applies to interface eth0"), e.getMessage());
    }

    @Test
    void staticAddressesTravelWithTheirInterfaceAndNeedAPoolOfTheirFamily() {
        var r = plan(false, Map.of(MultusAnnotations.NETWORKS,
                "[{\"name\":\"macvlan\",\"interface\":\"net1\",\"ips\":[\"10.6.1.20/24\"]}]"), Map.of());
        assertEquals("10.6.1.20", r.get(0).ips().get(0).address().toString());
        var e = assertThrows(SelectionDenied.class, () -> plan(false, Map.of(MultusAnnotations.NETWORKS,
                "[{\"name\":\"macvlan\",\"ips\":[\"fd00::20/64\"]}]"), Map.of()));
        assertEquals("BadStaticIP", e.reason());
        assertTrue(e.getMessage().contains("no IPv6 pool"), e.getMessage());
    }

    @Test
    void cleanGatewayFromTheNetworkUnlessTheAnnotationSaysOtherwise() {
        nads.put("app/cg", "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"clean_gateway\":true,"
                + "\"default_ipv4_ippool\":[\"p\"]}}");
        assertEquals(Boolean.TRUE, plan(false, Map.of(MultusAnnotations.NETWORKS, "cg"), Map.of()).get(0)
                .cleanGateway());
        assertEquals(Boolean.FALSE, plan(false, Map.of(MultusAnnotations.NETWORKS, "cg", IpamAnnotations.IPPOOLS,
                "[{\"interface\":\"net1\",\"ipv4\":[\"p\"],\"cleangateway\":false}]"), Map.of()).get(0)
                .cleanGateway());
    }

    @Test
    void interfacesServedByAutomaticPoolsAreLeftOut() {
        clusterV4 = List.of("default-v4");
        var r = PodInterfaces.requests(Map.of(MultusAnnotations.NETWORKS, "macvlan@net1"), Map.of(), "app",
                new PodInterfaces.Settings(true, "kube-system"),
                (n, name) -> Optional.ofNullable(nads.get(n + "/" + name)), clusterV4, List.of(), Set.of("eth0"));
        assertEquals(List.of("net1"), ifaces(r));
    }
}
