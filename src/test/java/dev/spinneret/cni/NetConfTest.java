package dev.spinneret.cni;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NetConfTest {
    @Test
    void fullConfig() throws Exception {
        NetConf c = NetConf.parse("{\"cniVersion\":\"0.4.0\",\"name\":\"macvlan\",\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\","
                + "\"kubeconfig\":\"/tmp/kc\",\"timeout_seconds\":2.5,\"log_file_path\":\"/tmp/l.log\",\"log_level\":\"DEBUG\","
                + "\"dns\":{\"nameservers\":[\"10.96.0.10\"],\"search\":[\"svc.cluster.local\"],\"options\":[\"ndots:5\"],\"domain\":\"cluster.local\"}}}");
        assertEquals("0.4.0", c.cniVersion);
        assertEquals("/tmp/kc", c.kubeconfig);
        assertEquals(2.5, c.timeoutSeconds);
        assertEquals(Log.Level.DEBUG, c.logLevel);
        assertEquals(List.of("10.96.0.10"), c.dns.get("nameservers"));
        assertEquals("cluster.local", c.dns.get("domain"));
    }

    @Test
    void defaultsAndSpiderpoolKeysAccepted() throws Exception {
        NetConf c = NetConf.parse("{\"cniVersion\":\"1.0.0\",\"name\":\"n\",\"ipam\":{\"type\":\"spiderpool\",\"log_level\":\"INFO\","
                + "\"log_file_path\":\"/var/log/spidernet/spiderpool.log\",\"log_file_max_size\":\"100\",\"log_file_max_age\":30,"
                + "\"log_file_max_count\":7,\"default_ipv4_ippool\":[\"a\"],\"default_ipv6_ippool\":[],\"match_master_subnet\":false,"
                + "\"ipam_unix_socket_path\":\"/var/run/spidernet/spiderpool.sock\",\"clean_gateway\":true}}");
        assertEquals("spiderpool", c.ipamType);
        assertEquals(NetConf.DEFAULT_KUBECONFIG, c.kubeconfig);
        assertEquals(10.0, c.timeoutSeconds);
        assertTrue(c.cleanGateway);
        assertNull(c.dns);
        assertEquals(100L << 20, c.logMaxBytes);
        assertFalse(NetConf.parse("{\"cniVersion\":\"0.3.1\",\"ipam\":{\"type\":\"spinneret\"}}").cleanGateway);
        assertEquals(5L << 20, NetConf.parse("{\"cniVersion\":\"0.3.1\",\"ipam\":{\"type\":\"spinneret\",\"log_file_max_size\":5}}").logMaxBytes);
    }

    @Test
    void errorsHaveTheRightCodes() {
        Object[][] cases = {
                {"", CniError.DECODE_FAILURE, "no network configuration"},
                {"{\"cniVersion\":", CniError.DECODE_FAILURE, "cannot decode"},
                {"[1]", CniError.DECODE_FAILURE, "expected a JSON object"},
                {"{\"ipam\":{\"type\":\"spinneret\"}}", CniError.INVALID_NETCONF, "no cniVersion"},
                {"{\"cniVersion\":1,\"ipam\":{}}", CniError.INVALID_NETCONF, "cniVersion must be a string"},
                {"{\"cniVersion\":\"0.2.0\",\"ipam\":{\"type\":\"spinneret\"}}", CniError.INCOMPATIBLE_VERSION, "unsupported cniVersion"},
                {"{\"cniVersion\":\"1.0.0\"}", CniError.INVALID_NETCONF, "no \"ipam\""},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":[]}", CniError.INVALID_NETCONF, "\"ipam\" must be an object"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{}}", CniError.INVALID_NETCONF, "ipam.type is missing"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":5}}", CniError.INVALID_NETCONF, "ipam.kubeconfig must be a string"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"timeout_seconds\":\"10\"}}", CniError.INVALID_NETCONF, "timeout_seconds must be a number"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"timeout_seconds\":0}}", CniError.INVALID_NETCONF, "timeout_seconds must be > 0"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"log_level\":\"loud\"}}", CniError.INVALID_NETCONF, "log_level"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"dns\":{\"nameservers\":\"1.1.1.1\"}}}", CniError.INVALID_NETCONF, "nameservers must be an array"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"clean_gateway\":\"yes\"}}", CniError.INVALID_NETCONF, "clean_gateway must be a boolean"},
                {"{\"cniVersion\":\"1.0.0\",\"ipam\":{\"type\":\"spinneret\",\"log_file_max_size\":\"big\"}}", CniError.INVALID_NETCONF, "log_file_max_size"},
        };
        for (Object[] c : cases) {
            CniError e = assertThrows(CniError.class, () -> NetConf.parse((String) c[0]), (String) c[0]);
            assertEquals(c[1], e.code(), (String) c[0] + " -> " + e);
            assertTrue(e.getMessage().contains((String) c[2]), e.getMessage());
        }
    }

    @Test
    void versionForErrors() {
        assertEquals("0.3.1", NetConf.versionForErrors("{\"cniVersion\":\"0.3.1\"}"));
        assertEquals("1.0.0", NetConf.versionForErrors("{\"cniVersion\":\"9.9.9\"}"));
        assertEquals("1.0.0", NetConf.versionForErrors("garbage"));
    }
}
