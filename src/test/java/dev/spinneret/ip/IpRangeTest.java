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
class IpRangeTest {

    static String error(String text) {
        return assertThrows(IpFormatException.class, () -> IpRange.parse(text)).getMessage();
    }

    @Test
    void parsesSingleAndPair() {
        IpRange single = IpRange.parse("10.0.0.1");
        assertTrue(single.isSingle());
        assertEquals("10.0.0.1", single.toString());
        assertEquals(BigInteger.ONE, single.size());
        IpRange r = IpRange.parse("10.0.0.1-10.0.0.9");
        assertEquals("10.0.0.1", r.first().toString());
        assertEquals("10.0.0.9", r.last().toString());
        assertEquals(BigInteger.valueOf(9), r.size());
        assertEquals("10.0.0.1-10.0.0.9", r.toString());
        assertEquals("10.0.0.5", IpRange.parse("10.0.0.5-10.0.0.5").toString());
        assertEquals("fd00::1-fd00::1:0", IpRange.parse("FD00::1-fd00:0::1:0").toString());
        assertEquals(BigInteger.ONE.shiftLeft(128), IpRange.parse("::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").size());
        assertEquals(IpFamily.V6, IpRange.parse(IpFamily.V6, "fd00::1").family());
    }

    @Test
    void errorMessages() {
        assertEquals("\"10.0.0.9-10.0.0.1\" is not a valid IP range: first address 10.0.0.9 must not be greater than last address 10.0.0.1",
                error("10.0.0.9-10.0.0.1"));
        assertEquals("\"10.0.0.1-fd00::1\" is not a valid IP range: first address 10.0.0.1 is IPv4 but last address fd00::1 is IPv6",
                error("10.0.0.1-fd00::1"));
        assertEquals("\"10.0.0.1-10.0.0.300\" is not a valid IP range: last address \"10.0.0.300\" is not a valid IPv4 address: octet 300 is greater than 255",
                error("10.0.0.1-10.0.0.300"));
        assertEquals("\"10.0.0.1-\" is not a valid IP range: the last address is missing after \"-\"", error("10.0.0.1-"));
        assertEquals("\"-10.0.0.1\" is not a valid IP range: the first address is missing before \"-\"", error("-10.0.0.1"));
        assertEquals("\"1-2-3\" is not a valid IP range: expected a single address or first-last with one \"-\"", error("1-2-3"));
        assertEquals("\"10.0.0.1 - 10.0.0.2\" is not a valid IP range: first address \"10.0.0.1 \" is not a valid IP address: it contains whitespace",
                error("10.0.0.1 - 10.0.0.2"));
        assertEquals("\"fd00::1-fd00::2\" is not a valid IPv4 range: first address \"fd00::1\" is not a valid IPv4 address: it is an IPv6 address",
                assertThrows(IpFormatException.class, () -> IpRange.parse(IpFamily.V4, "fd00::1-fd00::2")).getMessage());
        assertEquals("\"\" is not a valid IP address: it is empty", error(""));
        assertThrows(IllegalArgumentException.class, () -> IpRange.of(IpAddress.parse("10.0.0.2"), IpAddress.parse("10.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> IpRange.of(IpAddress.parse("10.0.0.2"), IpAddress.parse("fd00::1")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.9-10.0.0.1", "10.0.0.1-fd00::1", "fd00::1-10.0.0.1", "", " ", "-", "10.0.0.1-",
        "10.0.0.1--10.0.0.2", "10.0.0.1-10.0.0.2-10.0.0.3", "10.0.0.1-9", "10.0.0.0/24", "10.0.0.1–10.0.0.2",
        "fd00::9-fd00::1", "10.0.0.1,10.0.0.2"})
    void rejectsMalformed(String text) {
        assertThrows(IpFormatException.class, () -> IpRange.parse(text));
    }

    @Test
    void relations() {
        IpRange a = IpRange.parse("10.0.0.1-10.0.0.9");
        assertTrue(a.contains(IpAddress.parse("10.0.0.1")));
        assertTrue(a.contains(IpAddress.parse("10.0.0.9")));
        assertFalse(a.contains(IpAddress.parse("10.0.0.10")));
        assertFalse(a.contains(IpAddress.parse("::a00:5")));
        assertTrue(a.contains(IpRange.parse("10.0.0.2-10.0.0.3")));
        assertFalse(a.contains(IpRange.parse("10.0.0.2-10.0.0.10")));
        assertTrue(a.overlaps(IpRange.parse("10.0.0.9-10.0.0.10")));
        assertFalse(a.overlaps(IpRange.parse("10.0.0.10-10.0.0.11")));
        assertEquals(a, IpRange.of(IpAddress.parse("10.0.0.1"), IpAddress.parse("10.0.0.9")));
    }
}
