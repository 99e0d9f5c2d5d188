package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class CidrTest {

    static String error(String text) {
        return assertThrows(IpFormatException.class, () -> Cidr.parse(text)).getMessage();
    }

    @Test
    void parsesIPv4() {
        Cidr c = Cidr.parse("10.244.0.0/16");
        assertEquals(IpFamily.V4, c.family());
        assertEquals(16, c.prefixLength());
        assertEquals("10.244.0.0", c.first().toString());
        assertEquals("10.244.255.255", c.last().toString());
        assertEquals(BigInteger.valueOf(65536), c.size());
        assertEquals("10.244.0.0/16", c.toString());
        assertEquals("10.244.0.0-10.244.255.255", c.asRange().toString());
        assertEquals(c, Cidr.parseCanonical("10.244.0.0/16"));

        assertEquals("0.0.0.0-255.255.255.255", Cidr.parse("0.0.0.0/0").asRange().toString());
        assertEquals(BigInteger.ONE.shiftLeft(32), Cidr.parse("0.0.0.0/0").size());
        assertEquals("10.0.0.7-10.0.0.7", Cidr.parse("10.0.0.7/32").first() + "-" + Cidr.parse("10.0.0.7/32").last());
        assertEquals(BigInteger.ONE, Cidr.parse("10.0.0.7/32").size());
        assertEquals("10.0.0.0/8", Cidr.of(IpAddress.parse("10.1.2.3"), 8).toString());
    }

    @Test
    void parsesIPv6() {
        Cidr c = Cidr.parse("fd00::/64");
        assertEquals(IpFamily.V6, c.family());
        assertEquals("fd00::ffff:ffff:ffff:ffff", c.last().toString());
        assertEquals(BigInteger.ONE.shiftLeft(64), c.size());
        assertEquals(BigInteger.ONE.shiftLeft(128), Cidr.parse("::/0").size());
        assertEquals("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", Cidr.parse("::/0").last().toString());
        assertEquals("fd00:0:0:1::/64", Cidr.parse("fd00:0:0:1:2:3:4:5/64").toString());
        assertEquals("fd00:0:0:1:8000::/65", Cidr.parse("fd00:0:0:1:ffff::/65").toString());
        assertEquals("fd00::/63", Cidr.parse("fd00:0:0:1::/63").toString());
        assertEquals("fd00::1:2:3:4/128", Cidr.parse("fd00::1:2:3:4/128").toString());
        assertEquals("fd00::1:2:3:0/112", Cidr.parse("fd00::1:2:3:4/112").toString());
        assertEquals("fd00::1:2:3:ffff", Cidr.parse("fd00::1:2:3:4/112").last().toString());
        assertEquals(BigInteger.valueOf(65536), Cidr.parse("fd00::/112").size());
    }

    @Test
    void canonicalForm() {
        assertEquals("10.244.1.0/16 is not in canonical form: use 10.244.0.0/16",
                assertThrows(IpFormatException.class, () -> Cidr.parseCanonical("10.244.1.0/16")).getMessage());
        assertEquals("fd00::1/64 is not in canonical form: use fd00::/64",
                assertThrows(IpFormatException.class, () -> Cidr.parseCanonical("fd00::1/64")).getMessage());
        assertEquals("FD00::/64 is not in canonical form: use fd00::/64",
                assertThrows(IpFormatException.class, () -> Cidr.parseCanonical("FD00::/64")).getMessage());
        assertEquals("fd00:0::/64 is not in canonical form: use fd00::/64",
                assertThrows(IpFormatException.class, () -> Cidr.parseCanonical("fd00:0::/64")).getMessage());
        assertEquals(Cidr.parse("10.244.0.0/16"), Cidr.parse("10.244.1.0/16"));
        assertEquals(Cidr.parse("10.244.0.0/16"), Cidr.parseCanonical(IpFamily.V4, "10.244.0.0/16"));
    }

    @Test
    void errorMessages() {
        assertEquals("\"10.0.0.0/33\" is not a valid IPv4 CIDR: prefix length 33 is greater than 32", error("10.0.0.0/33"));
        assertEquals("\"fd00::/129\" is not a valid IPv6 CIDR: prefix length 129 is greater than 128", error("fd00::/129"));
        assertEquals("\"fd00::/1000\" is not a valid IPv6 CIDR: prefix length 1000 is greater than 128", error("fd00::/1000"));
        assertEquals("\"10.0.0.0\" is not a valid CIDR: the prefix length is missing (expected address/prefix, e.g. 10.244.0.0/16 or fd00::/64)",
                error("10.0.0.0"));
        assertEquals("\"10.0.0.0/\" is not a valid IPv4 CIDR: the prefix length after \"/\" is missing", error("10.0.0.0/"));
        assertEquals("\"10.0.0.0/08\" is not a valid IPv4 CIDR: prefix length \"08\" has a leading zero", error("10.0.0.0/08"));
        assertEquals("\"10.0.0.0/-1\" is not a valid IPv4 CIDR: prefix length \"-1\" is not a decimal number", error("10.0.0.0/-1"));
        assertEquals("\"10.0.0.0/ 8\" is not a valid IPv4 CIDR: prefix length \" 8\" is not a decimal number", error("10.0.0.0/ 8"));
        assertEquals("\"10.0.0.0/8/8\" is not a valid CIDR: it contains more than one \"/\"", error("10.0.0.0/8/8"));
        assertEquals("\"\" is not a valid CIDR: it is empty", error(""));
        assertEquals("\"10.0.0.300/24\" is not a valid CIDR: \"10.0.0.300\" is not a valid IPv4 address: octet 300 is greater than 255",
                error("10.0.0.300/24"));
        assertEquals("\"fd00::/64\" is not a valid IPv4 CIDR: \"fd00::\" is not a valid IPv4 address: it is an IPv6 address",
                assertThrows(IpFormatException.class, () -> Cidr.parse(IpFamily.V4, "fd00::/64")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.0/33", "fd00::/129", "/24", "10.0.0.0/", "10.0.0.0/8 ", " 10.0.0.0/8", "10.0.0/8",
        "01.0.0.0/8", "10.0.0.0/+8", "10.0.0.0/0x8", "10.0.0.0/99999999999999999999", "fd00::g/64", "fd00::/64/64",
        "10.0.0.0-10.0.0.9/8", "10.0.0.0\\8"})
    void rejectsMalformed(String text) {
        assertThrows(IpFormatException.class, () -> Cidr.parse(text));
        assertThrows(IpFormatException.class, () -> Cidr.parseCanonical(text));
    }

    @Test
    void containment() {
        Cidr c16 = Cidr.parse("10.244.0.0/16");
        Cidr c24 = Cidr.parse("10.244.7.0/24");
        Cidr other = Cidr.parse("10.245.0.0/16");
        assertTrue(c16.contains(IpAddress.parse("10.244.0.0")));
        assertTrue(c16.contains(IpAddress.parse("10.244.255.255")));
        assertFalse(c16.contains(IpAddress.parse("10.245.0.0")));
        assertFalse(c16.contains(IpAddress.parse("10.243.255.255")));
        assertFalse(c16.contains(IpAddress.parse("::af4:0")));
        assertTrue(c16.contains(c24));
        assertFalse(c24.contains(c16));
        assertTrue(c16.contains(c16));
        assertTrue(c16.overlaps(c24));
        assertTrue(c24.overlaps(c16));
        assertFalse(c16.overlaps(other));
        assertFalse(c16.overlaps(Cidr.parse("fd00::/64")));
        Cidr v6 = Cidr.parse("fd00::/48");
        assertTrue(v6.contains(Cidr.parse("fd00:0:0:1::/64")));
        assertTrue(v6.contains(IpAddress.parse("fd00:0:0:ffff:ffff:ffff:ffff:ffff")));
        assertFalse(v6.contains(IpAddress.parse("fd00:1::")));
        assertTrue(Cidr.parse("::/0").contains(v6));
    }
}
