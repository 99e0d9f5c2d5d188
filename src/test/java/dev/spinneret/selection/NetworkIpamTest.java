package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class NetworkIpamTest {
    @Test
    void singlePluginWithSpinneretIpamAndDefaults() {
        var ipam = NetworkIpam.of("{\"cniVersion\":\"1.0.0\",\"type\":\"macvlan\",\"master\":\"ens224\","
                + "\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":[\"v4-a\",\"v4-*\"],"
                + "\"default_ipv6_ippool\":[\"v6\"],\"clean_gateway\":true}}");
        var s = assertInstanceOf(NetworkIpam.Spinneret.class, ipam);
        assertEquals(List.of("v4-a", "v4-*"), s.ipv4());
        assertEquals(List.of("v6"), s.ipv6());
        assertEquals(Boolean.TRUE, s.cleanGateway());
    }

    @Test
    void conflistWithSpiderpoolIpamNestedInItsPlugin() {
        var ipam = NetworkIpam.of("{\"cniVersion\":\"0.3.1\",\"name\":\"n\",\"plugins\":[{\"type\":\"tuning\"},"
                + "{\"type\":\"ipvlan\",\"ipam\":{\"type\":\"spiderpool\"}},{\"type\":\"coordinator\"}]}");
        var s = assertInstanceOf(NetworkIpam.Spinneret.class, ipam);
        assertEquals("spiderpool", s.type());
        assertEquals(List.of(), s.ipv4());
        assertEquals(null, s.cleanGateway());
    }

    @Test
    void otherIpamOrNoneOrEmptyConfigIsNotSpinneret() {
        var o = assertInstanceOf(NetworkIpam.Other.class, NetworkIpam.of(
                "{\"type\":\"macvlan\",\"ipam\":{\"type\":\"whereabouts\",\"range\":\"10.0.0.0/24\"}}"));
        assertTrue(o.what().contains("whereabouts"), o.what());
        assertInstanceOf(NetworkIpam.Other.class, NetworkIpam.of("{\"plugins\":[{\"type\":\"bridge\"}]}"));
        assertInstanceOf(NetworkIpam.Other.class, NetworkIpam.of(""));
        assertInstanceOf(NetworkIpam.Other.class, NetworkIpam.of(null));
        // a malformed IPAM section of another IPAM is not Spinneret's to judge
        assertInstanceOf(NetworkIpam.Other.class, NetworkIpam.of("{\"ipam\":{\"type\":\"host-local\",\"x\":[1]}}"));
    }

    @ParameterizedTest
    @ValueSource(strings = { "{", "[]", "\"x\"", "{\"plugins\":{}}", "{\"plugins\":[]}", "{\"plugins\":[1]}",
            "{\"ipam\":\"spinneret\"}", "{\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":\"a\"}}",
            "{\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":[\"a\",\"a\"]}}",
            "{\"ipam\":{\"type\":\"spinneret\",\"default_ipv6_ippool\":[\"\"]}}",
            "{\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":[\"x[\"]}}",
            "{\"plugins\":[{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"clean_gateway\":\"yes\"}}]}" })
    void malformedConfigSaysWhatIsWrong(String config) {
        var e = assertThrows(IllegalArgumentException.class, () -> NetworkIpam.of(config));
        assertTrue(e.getMessage().startsWith("spec.config"), e.getMessage());
    }

    @Test
    void fieldErrorsNameTheField() {
        var e = assertThrows(IllegalArgumentException.class, () -> NetworkIpam.of(
                "{\"plugins\":[{\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"default_ipv4_ippool\":\"a\"}}]}"));
        assertTrue(e.getMessage().contains("plugins[0].ipam.default_ipv4_ippool"), e.getMessage());
    }
}
