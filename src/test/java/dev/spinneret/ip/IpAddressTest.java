package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class IpAddressTest {

    static String error(String text) {
        return assertThrows(IpFormatException.class, () -> IpAddress.parse(text)).getMessage();
    }

    @Test
    void familyNumbers() {
        assertEquals(4, IpFamily.V4.number());
        assertEquals(6, IpFamily.V6.number());
        assertEquals(IpFamily.V4, IpFamily.ofNumber(4));
        assertEquals(IpFamily.V6, IpFamily.ofNumber(6));
        assertEquals("ipVersion 5 is not supported: use 4 or 6",
                assertThrows(IpFormatException.class, () -> IpFamily.ofNumber(5)).getMessage());
        assertThrows(IpFormatException.class, () -> IpFamily.ofNumber(0));
        assertEquals("0.0.0.0", IpFamily.V4.lowest().toString());
        assertEquals("255.255.255.255", IpFamily.V4.highest().toString());
        assertEquals("::", IpFamily.V6.lowest().toString());
        assertEquals("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", IpFamily.V6.highest().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"0.0.0.0", "10.0.0.1", "255.255.255.255", "192.168.100.9", "1.2.3.4"})
    void parsesAndPrintsIPv4(String text) {
        IpAddress a = IpAddress.parse(text);
        assertTrue(a.isIPv4());
        assertEquals(IpFamily.V4, a.family());
        assertEquals(text, a.toString());
        assertEquals(a, IpAddress.parse(IpFamily.V4, text));
    }

    @Test
    void ipv4ErrorMessages() {
        assertEquals("\"10.0.0.300\" is not a valid IPv4 address: octet 300 is greater than 255", error("10.0.0.300"));
        assertEquals("\"1.2.3\" is not a valid IPv4 address: expected 4 octets, found 3", error("1.2.3"));
        assertEquals("\"1.2.3.4.5\" is not a valid IPv4 address: expected 4 octets, found 5", error("1.2.3.4.5"));
        assertEquals("\"01.2.3.4\" is not a valid IPv4 address: octet \"01\" has a leading zero (some tools read it as octal)",
                error("01.2.3.4"));
        assertEquals("\"1..3.4\" is not a valid IPv4 address: octet 2 is empty", error("1..3.4"));
        assertEquals("\"1.2.3.\" is not a valid IPv4 address: octet 4 is empty", error("1.2.3."));
        assertEquals("\".1.2.3\" is not a valid IPv4 address: octet 1 is empty", error(".1.2.3"));
        assertEquals("\"1.2.3.x\" is not a valid IPv4 address: octet \"x\" is not a decimal number", error("1.2.3.x"));
        assertEquals("\"1.2.3.+4\" is not a valid IPv4 address: octet \"+4\" is not a decimal number", error("1.2.3.+4"));
        assertEquals("\"1.2.3.1000\" is not a valid IPv4 address: octet 1000 is greater than 255", error("1.2.3.1000"));
        assertEquals("\"1.2.3.256\" is not a valid IPv4 address: octet 256 is greater than 255", error("1.2.3.256"));
        assertEquals("\"\" is not a valid IP address: it is empty", error(""));
        assertEquals("null is not a valid IP address: it is missing (null)", error(null));
        assertEquals("\" 10.0.0.1\" is not a valid IP address: it contains whitespace", error(" 10.0.0.1"));
        assertEquals("\"10.0.0.1 \" is not a valid IP address: it contains whitespace", error("10.0.0.1 "));
        assertEquals("\"10.0.0.1\\n\" is not a valid IP address: it contains whitespace", error("10.0.0.1\n"));
        assertEquals("\"10.0.0.1\\t\" is not a valid IP address: it contains whitespace", error("10.0.0.1\t"));
        assertEquals("\"10.0.0.0/24\" is not a valid IP address: it has a prefix length; a single address is expected here, not a CIDR",
                error("10.0.0.0/24"));
        assertEquals("\"10.0.0.1-10.0.0.2\" is not a valid IP address: it contains \"-\"; a single address is expected here, not a range",
                error("10.0.0.1-10.0.0.2"));
        assertEquals("\"hello\" is not a valid IP address: expected an IPv4 address like 10.0.0.1 or an IPv6 address like fd00::1",
                error("hello"));
        assertEquals("\"1234\" is not a valid IP address: expected an IPv4 address like 10.0.0.1 or an IPv6 address like fd00::1",
                error("1234"));
        // non-ASCII digits are not digits here
        assertTrue(error("1.2.3.\u0664").contains("is not a decimal number"));
        assertTrue(error("\uff11.2.3.4").contains("is not a decimal number"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10.0.0.300", "1.2.3", "01.2.3.4", "00.1.2.3", "1.2.3.04", "1.2.3.4.", "1.2.3.4 ", "\t1.2.3.4",
        "1.2.3.-4", "1.2.3.4/32", "1.2.3.4:80", "0x1.2.3.4", "1e1.2.3.4", "256.0.0.0", "999.999.999.999", "1.2.3.4.5.6",
        ".", "...", "1.2.3.4\u0000", "１.2.3.4", "1.2..4", "1,2,3,4", "[1.2.3.4]"})
    void rejectsMalformedIPv4(String text) {
        assertThrows(IpFormatException.class, () -> IpAddress.parse(text));
        assertThrows(IpFormatException.class, () -> IpAddress.parse(IpFamily.V4, text));
    }

    @CsvSource(delimiter = '|', value = {
        "::|::",
        "::1|::1",
        "1::|1::",
        "0:0:0:0:0:0:0:0|::",
        "0:0:0:0:0:0:0:1|::1",
        "FD00::A|fd00::a",
        "fd00:0:0:0:0:0:0:a|fd00::a",
        "2001:0db8:0000:0000:0000:0000:0000:0001|2001:db8::1",
        "2001:db8:0:0:1:0:0:1|2001:db8::1:0:0:1",
        "2001:db8:0:1:1:1:1:1|2001:db8:0:1:1:1:1:1",
        "2001:db8:0000:1:1:1:1:1|2001:db8:0:1:1:1:1:1",
        "2001:db8::0:1|2001:db8::1",
        "1:0:0:2:0:0:3:4|1::2:0:0:3:4",
        "1:0:0:1:0:0:0:1|1:0:0:1::1",
        "1:2:3:4:5:6:7::|1:2:3:4:5:6:7:0",
        "::2:3:4:5:6:7:8|0:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8|1:2:3:4:5:6:7:8",
        "fd00::1:0|fd00::1:0",
        "fe80::1:2:3:4|fe80::1:2:3:4",
        "::ffff:10.0.0.1|::ffff:10.0.0.1",
        "::ffff:0a00:0001|::ffff:10.0.0.1",
        "::10.0.0.1|::a00:1",
        "64:ff9b::192.0.2.33|64:ff9b::c000:221",
        "1:2:3:4:5:6:1.2.3.4|1:2:3:4:5:6:102:304",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff|ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
        "0001:0002:0003:0004:0005:0006:0007:0008|1:2:3:4:5:6:7:8",
        "abcd:ef01:2345:6789:ABCD:EF01:2345:6789|abcd:ef01:2345:6789:abcd:ef01:2345:6789",
    })
    @ParameterizedTest
    void parsesAndPrintsIPv6Canonically(String text, String canonical) {
        IpAddress a = IpAddress.parse(text);
        assertTrue(a.isIPv6());
        assertEquals(canonical, a.toString());
        assertEquals(a, IpAddress.parse(canonical));
        assertEquals(a, IpAddress.parse(IpFamily.V6, text));
    }

    @Test
    void ipv6ErrorMessages() {
        assertEquals("\"::g\" is not a valid IPv6 address: \"g\" is not a hexadecimal group", error("::g"));
        assertEquals("\"1::2::3\" is not a valid IPv6 address: \"::\" may appear only once", error("1::2::3"));
        assertEquals("\"1:::2\" is not a valid IPv6 address: it contains \":::\"", error("1:::2"));
        assertEquals("\":1::\" is not a valid IPv6 address: it starts with a single \":\"", error(":1::"));
        assertEquals("\"1::2:\" is not a valid IPv6 address: it ends with a single \":\"", error("1::2:"));
        assertEquals("\"1:2:3:4:5:6:7\" is not a valid IPv6 address: expected 8 groups, found 7", error("1:2:3:4:5:6:7"));
        assertEquals("\"1:2:3:4:5:6:7:8:9\" is not a valid IPv6 address: expected 8 groups, found 9", error("1:2:3:4:5:6:7:8:9"));
        assertEquals("\"1:2:3:4::5:6:7:8\" is not a valid IPv6 address: too many groups: with \"::\" at most 7 groups can be written, found 8",
                error("1:2:3:4::5:6:7:8"));
        assertEquals("\"12345::\" is not a valid IPv6 address: group \"12345\" has more than 4 hex digits", error("12345::"));
        assertEquals("\"1.2.3.4::\" is not a valid IPv6 address: an embedded IPv4 part (\"1.2.3.4\") is allowed only at the end",
                error("1.2.3.4::"));
        assertEquals("\"::1.2.3\" is not a valid IPv6 address: its IPv4 part \"1.2.3\": expected 4 octets, found 3", error("::1.2.3"));
        assertEquals("\"::1.2.3.256\" is not a valid IPv6 address: its IPv4 part \"1.2.3.256\": octet 256 is greater than 255",
                error("::1.2.3.256"));
        assertEquals("\"1:2:3:4:5:6:7:1.2.3.4\" is not a valid IPv6 address: expected 8 groups, found 9",
                error("1:2:3:4:5:6:7:1.2.3.4"));
        assertEquals("\"fe80::1%eth0\" is not a valid IP address: zone identifiers (\"%...\") are not supported", error("fe80::1%eth0"));
        assertEquals("\"[fd00::1]\" is not a valid IP address: remove the square brackets", error("[fd00::1]"));
        assertEquals("\"fd00::/64\" is not a valid IP address: it has a prefix length; a single address is expected here, not a CIDR",
                error("fd00::/64"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"::g", "1::2::3", ":", ":::", "1:", ":1", "1:2:3:4:5:6:7:8:", ":1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8:9", "g::", "::12345", "1::2::", "::1::", "1.2.3.4::", "::1.2.3.4:1", "::1.2.3", "::01.2.3.4",
        "fd00::1 ", " ::1", "fd00::1%1", "::-1", "::+1", "::0x1", "fd00:::1", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::8", "1:2:3:4:5:6:1.2.3.4:1", "::ffff:1.2.3.4.5", "１::", "::٣"})
    void rejectsMalformedIPv6(String text) {
        assertThrows(IpFormatException.class, () -> IpAddress.parse(text));
        assertThrows(IpFormatException.class, () -> IpAddress.parse(IpFamily.V6, text));
    }

    @Test
    void familyMismatch() {
        assertEquals("\"fd00::1\" is not a valid IPv4 address: it is an IPv6 address",
                assertThrows(IpFormatException.class, () -> IpAddress.parse(IpFamily.V4, "fd00::1")).getMessage());
        assertEquals("\"10.0.0.1\" is not a valid IPv6 address: it is an IPv4 address",
                assertThrows(IpFormatException.class, () -> IpAddress.parse(IpFamily.V6, "10.0.0.1")).getMessage());
        // a malformed address of the other family gets the specific message
        assertEquals("\"::g\" is not a valid IPv6 address: \"g\" is not a hexadecimal group",
                assertThrows(IpFormatException.class, () -> IpAddress.parse(IpFamily.V4, "::g")).getMessage());
    }

    @Test
    void canonicalPrintingAgreesWithJdkOnRandomAddresses() throws Exception {
        Random rnd = new Random(5952);
        for (int i = 0; i < 3000; i++) {
            // bias towards zero groups so that :: placement is exercised
            long hi = 0;
            long lo = 0;
            for (int g = 0; g < 4; g++) {
                hi = (hi << 16) | (rnd.nextInt(3) == 0 ? rnd.nextInt(0x10000) : 0);
                lo = (lo << 16) | (rnd.nextInt(3) == 0 ? rnd.nextInt(0x10000) : 0);
            }
            IpAddress a = IpAddress.ofV6(hi, lo);
            String text = a.toString();
            assertEquals(a, IpAddress.parse(text), text);
            byte[] jdk = InetAddress.getByName(text).getAddress();
            if (jdk.length == 16) { // the JDK turns ::ffff:a.b.c.d into an IPv4 address
                assertArrayEquals(jdk, a.toBytes(), text);
            }
            // the canonical form is the shortest: no group has leading zeros and no :: could be longer
            assertFalse(text.contains(":::"), text);
            assertEquals(text.toLowerCase(), text);
            // parse(full uncompressed form) gives the same address
            StringBuilder full = new StringBuilder();
            byte[] b = a.toBytes();
            for (int g = 0; g < 8; g++) {
                if (g > 0) {
                    full.append(':');
                }
                full.append(String.format("%04X", ((b[2 * g] & 0xFF) << 8) | (b[2 * g + 1] & 0xFF)));
            }
            assertEquals(a, IpAddress.parse(full.toString()));
        }
        // RFC 5952 4.2.3: ties go to the first run
        assertEquals("1::1:0:0:1:1", IpAddress.parse("1:0:0:1:0:0:1:1").toString());
        // RFC 5952 4.2.2: a single 0 group is not shortened
        assertEquals("2001:db8:0:1:1:1:1:1", IpAddress.parse("2001:db8::1:1:1:1:1").toString());
    }

    @Test
    void ipv4RoundTripsAgainstJdk() throws Exception {
        Random rnd = new Random(4);
        for (int i = 0; i < 2000; i++) {
            long v = rnd.nextLong() & 0xFFFF_FFFFL;
            IpAddress a = IpAddress.ofV4(v);
            assertEquals(InetAddress.getByAddress(a.toBytes()).getHostAddress(), a.toString());
            assertEquals(a, IpAddress.parse(a.toString()));
            assertEquals(BigInteger.valueOf(v), a.toBigInteger());
            assertEquals(a, IpAddress.fromBytes(a.toBytes()));
        }
    }

    @Test
    void arithmetic() {
        IpAddress a = IpAddress.parse("10.0.0.255");
        assertEquals("10.0.1.0", a.next().toString());
        assertEquals("10.0.0.254", a.previous().toString());
        assertEquals("10.0.1.9", a.plus(10).toString());
        assertEquals("10.0.0.245", a.plus(-10).toString());
        assertEquals("10.0.0.245", a.minus(10).toString());
        assertEquals("11.0.0.255", a.plus(BigInteger.ONE.shiftLeft(24)).toString());
        assertEquals(BigInteger.valueOf(256), IpAddress.parse("10.0.1.255").offsetFrom(a));
        assertEquals(BigInteger.valueOf(-256), a.offsetFrom(IpAddress.parse("10.0.1.255")));
        assertThrows(ArithmeticException.class, () -> IpFamily.V4.highest().next());
        assertThrows(ArithmeticException.class, () -> IpFamily.V4.lowest().previous());
        assertThrows(ArithmeticException.class, () -> IpFamily.V4.highest().plus(1));
        assertThrows(ArithmeticException.class, () -> IpAddress.parse("0.0.0.5").plus(-6));
        assertThrows(ArithmeticException.class, () -> a.plus(Long.MAX_VALUE));
        assertThrows(ArithmeticException.class, () -> a.plus(Long.MIN_VALUE));
        assertThrows(ArithmeticException.class, () -> a.minus(Long.MIN_VALUE));
        assertEquals("255.255.255.255", IpFamily.V4.lowest().plus(0xFFFF_FFFFL).toString());

        IpAddress b = IpAddress.parse("fd00::ffff:ffff:ffff:ffff");
        assertEquals("fd00:0:0:1::", b.next().toString());
        assertEquals(b, b.next().previous());
        assertEquals("fd00:0:0:1::1", b.plus(2).toString());
        assertEquals("fd00::ffff:ffff:ffff:fffe", b.next().plus(-2).toString());
        assertEquals("fd00::1:7fff:ffff:ffff:fffe", b.plus(Long.MAX_VALUE).toString());
        assertEquals("fd00::7fff:ffff:ffff:ffff", b.plus(Long.MIN_VALUE).toString());
        assertEquals("fe00::", IpAddress.parse("fd00::").plus(BigInteger.ONE.shiftLeft(120)).toString());
        assertEquals(BigInteger.ONE.shiftLeft(64), IpAddress.parse("fd00:0:0:1::").offsetFrom(IpAddress.parse("fd00::")));
        assertThrows(ArithmeticException.class, () -> IpFamily.V6.highest().next());
        assertThrows(ArithmeticException.class, () -> IpFamily.V6.lowest().previous());
        assertThrows(ArithmeticException.class, () -> IpFamily.V6.highest().plus(1));
        assertThrows(ArithmeticException.class, () -> IpFamily.V6.lowest().plus(-1));
        assertThrows(ArithmeticException.class, () -> IpFamily.V6.lowest().plus(BigInteger.ONE.shiftLeft(128)));
        assertEquals(IpFamily.V6.highest(), IpFamily.V6.lowest().plus(BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE)));
        assertThrows(IllegalArgumentException.class, () -> a.offsetFrom(b));
    }

    @Test
    void arithmeticAgreesWithBigInteger() {
        Random rnd = new Random(128);
        BigInteger top = BigInteger.ONE.shiftLeft(128);
        for (int i = 0; i < 3000; i++) {
            IpAddress a = IpAddress.ofV6(rnd.nextInt(4) == 0 ? -1L : rnd.nextLong(), rnd.nextInt(4) == 0 ? -1L - rnd.nextInt(3) : rnd.nextLong());
            long d = rnd.nextInt(3) == 0 ? rnd.nextInt(10) - 5 : rnd.nextLong();
            BigInteger expected = a.toBigInteger().add(BigInteger.valueOf(d));
            if (expected.signum() < 0 || expected.compareTo(top) >= 0) {
                assertThrows(ArithmeticException.class, () -> a.plus(d));
            } else {
                assertEquals(expected, a.plus(d).toBigInteger());
                assertEquals(a.plus(d), a.plus(BigInteger.valueOf(d)));
                assertEquals(BigInteger.valueOf(d), a.plus(d).offsetFrom(a));
            }
        }
    }

    @Test
    void ordering() {
        List<IpAddress> list = new ArrayList<>(List.of(IpAddress.parse("fd00::1"), IpAddress.parse("10.0.0.2"),
                IpAddress.parse("::"), IpAddress.parse("ffff::"), IpAddress.parse("10.0.0.1"), IpAddress.parse("8000::"),
                IpAddress.parse("200.0.0.1")));
        Collections.sort(list);
        assertEquals("[10.0.0.1, 10.0.0.2, 200.0.0.1, ::, 8000::, fd00::1, ffff::]", list.toString());
        assertEquals(IpAddress.parse("10.0.0.1"), IpAddress.ofV4(0x0A000001L));
        assertEquals(IpAddress.parse("10.0.0.1").hashCode(), IpAddress.ofV4(0x0A000001L).hashCode());
        assertFalse(IpAddress.parse("::a00:1").equals(IpAddress.parse("10.0.0.1")));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.ofV4(-1));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.ofV4(1L << 32));
        assertThrows(IllegalArgumentException.class, () -> IpAddress.of(IpFamily.V4, BigInteger.ONE.shiftLeft(32)));
        assertEquals(IpFamily.V6.highest(), IpAddress.of(IpFamily.V6, BigInteger.ONE.shiftLeft(128).subtract(BigInteger.ONE)));
    }
}
