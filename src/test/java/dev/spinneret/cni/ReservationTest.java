package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ReservationTest {
    @Test
    void dualStackResultIn100() throws Exception {
        Reservation r = Reservation.parse(Fixtures.DUAL_STACK);
        Map<String, Object> res = Result.build("1.0.0", r.forInterface("eth0"), false, null);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"ips\":[{\"address\":\"10.244.100.90/16\",\"gateway\":\"10.244.0.1\"},"
                + "{\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\"}],\"routes\":[{\"dst\":\"0.0.0.0/0\",\"gw\":\"10.244.0.1\"},"
                + "{\"dst\":\"::/0\",\"gw\":\"fd00::1\"},{\"dst\":\"10.10.0.0/16\",\"gw\":\"10.244.0.1\"}]}", Json.write(res));
    }

    @Test
    void legacyVersionsCarryIpVersionAndNoInterface() throws Exception {
        Reservation r = Reservation.parse(Fixtures.DUAL_STACK);
        for (String v : new String[]{"0.3.1", "0.4.0"}) {
            Map<String, Object> res = Result.build(v, r.forInterface("eth0"), false, Json.obj("nameservers", List.of("10.96.0.10")));
            assertEquals(v, res.get("cniVersion"));
            List<Object> ips = Json.list(res, "ips");
            assertEquals("4", Json.str(ips.get(0), "version"));
            assertEquals("6", Json.str(ips.get(1), "version"));
            assertFalse(((Map<?, ?>) ips.get(0)).containsKey("interface"));
            assertEquals(List.of("10.96.0.10"), Json.list(res, "dns", "nameservers"));
        }
    }

    @Test
    void singleStackV4AndV6() throws Exception {
        Map<String, Object> v4 = Result.build("1.0.0", Reservation.parse(Fixtures.V4_ONLY).forInterface("eth0"), false, null);
        assertEquals(1, Json.list(v4, "ips").size());
        assertEquals(2, Json.list(v4, "routes").size());
        Map<String, Object> v6 = Result.build("1.0.0", Reservation.parse(Fixtures.V6_ONLY).forInterface("eth0"), false, null);
        assertEquals("fd00::5/64", Json.str(Json.list(v6, "ips").get(0), "address"));
        assertEquals("::/0", Json.str(Json.list(v6, "routes").get(0), "dst"));
    }

    @Test
    void multiNicSelectsByIfNameAndHonoursCleanGateway() throws Exception {
        Reservation r = Reservation.parse(Fixtures.MULTI_NIC);
        assertNull(r.forInterface("net2"));
        Map<String, Object> net1 = Result.build("1.0.0", r.forInterface("net1"), false, null);
        assertEquals("172.16.5.7/24", Json.str(Json.list(net1, "ips").get(0), "address"));
        assertEquals(1, Json.list(net1, "routes").size(), "cleanGateway: no default route");
        assertEquals("172.17.0.0/16", Json.str(Json.list(net1, "routes").get(0), "dst"));
        Map<String, Object> eth0 = Result.build("1.0.0", r.forInterface("eth0"), true, null);
        assertNull(eth0.get("routes"), "ipam.clean_gateway suppresses the default route");
        assertEquals(2, r.rawInterfaces.size());
    }

    @Test
    void badAnnotations() {
        String[][] cases = {
                {"nope", "not valid JSON"},
                {"{\"interfaces\":[]}", "no valid \"id\""},
                {"{\"id\":\"UPPER\",\"interfaces\":[]}", "no valid \"id\""},
                {"{\"id\":\"abc\"}", "no \"interfaces\" array"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"ipv4\":\"10.0.0.1/24\"}]}", "no \"interface\" name"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.0.0.1\",\"ipv4Pool\":\"p\"}]}", "CIDR"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.0.0.1/24\"}]}", "no ipv4Pool"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"fd00::1/64\",\"ipv4Pool\":\"p\"}]}", "not an IPv4"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.0.0.1/33\",\"ipv4Pool\":\"p\"}]}", "prefix length"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.0.0.1/24\",\"ipv4Pool\":\"p\",\"ipv4Gateway\":\"fd00::1\"}]}", "is not IPv4"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\"},{\"interface\":\"eth0\"}]}", "twice"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"routes\":[{\"dst\":\"10.0.0.0/8\",\"gw\":\"fd00::1\"}]}]}", "mixes address families"},
                {"{\"id\":\"abc\",\"interfaces\":[{\"interface\":\"eth0\",\"vlan\":\"x\"}]}", "vlan"},
        };
        for (String[] c : cases) {
            CniError e = assertThrows(CniError.class, () -> Reservation.parse(c[0]), c[0]);
            assertEquals(CniError.BAD_RESERVATION, e.code());
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void errorJson() throws Exception {
        CniError e = new CniError(CniError.UID_MISMATCH, "pod \"x\" has UID a", "d");
        Map<String, Object> m = Json.parseObject(e.toJson("0.4.0"));
        assertEquals("0.4.0", m.get("cniVersion"));
        assertEquals(102L, m.get("code"));
        assertEquals("pod \"x\" has UID a", m.get("msg"));
        assertEquals("d", m.get("details"));
        assertTrue(Json.parseObject(new CniError(7, "m").toJson("1.0.0")).containsKey("details"));
    }
}
