package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class AllocationLedgerTest {

    static final int ONE_MIB = 1024 * 1024;

    static IpAddress ip(String s) {
        return IpAddress.parse(s);
    }

    static String v4Error(String encoded) {
        return assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V4, encoded)).getMessage();
    }

    @Test
    void documentedExamplesRoundTrip() {
        String v4 = "10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00";
        AllocationLedger l = AllocationLedger.decode(IpFamily.V4, v4);
        assertEquals(3, l.size());
        assertEquals(Optional.of("ab12cd34"), l.owner(ip("10.244.100.92")));
        assertEquals(Optional.empty(), l.owner(ip("10.244.100.91")));
        assertEquals(Optional.empty(), l.owner(ip("fd00::1")));
        assertEquals(v4, l.encode());

        String v6 = "fd00::a=abc,:b=def,fd00::1:0=ghi";
        AllocationLedger l6 = AllocationLedger.decode(IpFamily.V6, v6);
        assertEquals(Optional.of("def"), l6.owner(ip("fd00::b")));
        assertEquals(Optional.of("ghi"), l6.owner(ip("fd00::1:0")));
        assertEquals(v6, l6.encode());
        assertEquals(List.of("fd00::a-fd00::b", "fd00::1:0"), l6.allocated().toStrings());
    }

    @Test
    void emptyLedgerIsTheEmptyString() {
        assertEquals("", AllocationLedger.empty(IpFamily.V4).encode());
        assertTrue(AllocationLedger.decode(IpFamily.V4, "").isEmpty());
        assertTrue(AllocationLedger.decode(IpFamily.V6, null).isEmpty());
        assertTrue(AllocationLedger.empty(IpFamily.V6).allocated().isEmpty());
    }

    @Test
    void encoderUsesShortFormsOnlyWhereThePrefixMatches() {
        AllocationLedger l = AllocationLedger.empty(IpFamily.V4)
                .with(ip("10.0.1.0"), "c")
                .with(ip("10.0.0.255"), "b")
                .with(ip("10.0.0.0"), "a")
                .with(ip("10.0.1.1"), "d")
                .with(ip("11.0.1.2"), "e");
        assertEquals("10.0.0.0=a,.255=b,10.0.1.0=c,.1=d,11.0.1.2=e", l.encode());
        AllocationLedger l6 = AllocationLedger.empty(IpFamily.V6)
                .with(ip("fd00::ffff"), "a")
                .with(ip("fd00::1:0"), "b")
                .with(ip("fd00::1:1"), "c")
                .with(ip("fd00::1:abcd"), "d")
                .with(ip("fd00:0:0:1::1:abce"), "e")
                .with(ip("::"), "z")
                .with(ip("::1"), "y");
        assertEquals("::=z,:1=y,fd00::ffff=a,fd00::1:0=b,:1=c,:abcd=d,fd00::1:0:0:1:abce=e", l6.encode());
        assertEquals(l6, AllocationLedger.decode(IpFamily.V6, l6.encode()));
        // a full address where the short form could be used is accepted (and re-encoded short)
        AllocationLedger lenient = AllocationLedger.decode(IpFamily.V4, "10.0.0.1=a,10.0.0.2=b");
        assertEquals("10.0.0.1=a,.2=b", lenient.encode());
    }

    @Test
    void decodeErrors() {
        assertEquals("invalid allocation ledger: entry 0 \".1=a\": the first entry must have a full address, not the short form \".1\"",
                v4Error(".1=a"));
        assertEquals("invalid allocation ledger: entry 1 \".1=b\": address 10.0.0.1 appears twice (entries 0 and 1)",
                v4Error("10.0.0.1=a,.1=b"));
        assertEquals("invalid allocation ledger: entry 1 \"10.0.0.1=b\": address 10.0.0.1 appears twice (entries 0 and 1)",
                v4Error("10.0.0.1=a,10.0.0.1=b"));
        assertEquals("invalid allocation ledger: entry 1 \".1=b\": address 10.0.0.1 is not greater than the previous address 10.0.0.2 (entries must be sorted by address)",
                v4Error("10.0.0.2=a,.1=b"));
        assertEquals("invalid allocation ledger: entry 0 \"10.0.0.1=A\": reservation id \"A\" must be 1 to 16 characters of a-z and 0-9",
                v4Error("10.0.0.1=A"));
        assertEquals("invalid allocation ledger: entry 0 \"10.0.0.1=\": reservation id \"\" must be 1 to 16 characters of a-z and 0-9",
                v4Error("10.0.0.1="));
        assertEquals("invalid allocation ledger: entry 0 \"10.0.0.1=abcdefghijklmnopq\": reservation id \"abcdefghijklmnopq\" must be 1 to 16 characters of a-z and 0-9",
                v4Error("10.0.0.1=abcdefghijklmnopq"));
        assertEquals("invalid allocation ledger: entry 1 \"\": the ledger must not end with \",\"", v4Error("10.0.0.1=a,"));
        assertEquals("invalid allocation ledger: entry 0 \"\": empty entry (two commas in a row or a leading comma)", v4Error(",10.0.0.1=a"));
        assertEquals("invalid allocation ledger: entry 1 \"\": empty entry (two commas in a row)", v4Error("10.0.0.1=a,,.3=b"));
        assertEquals("invalid allocation ledger: entry 0 \"10.0.0.1\": expected <address>=<reservation id>", v4Error("10.0.0.1"));
        assertEquals("invalid allocation ledger: entry 0 \"=abc\": the address before \"=\" is missing", v4Error("=abc"));
        assertEquals("invalid allocation ledger: entry 0 \"010.0.0.1=a\": \"010.0.0.1\" is not a valid IPv4 address: octet \"010\" has a leading zero (some tools read it as octal)",
                v4Error("010.0.0.1=a"));
        assertEquals("invalid allocation ledger: entry 1 \".01=b\": short form \".01\" must be \".\" and the last octet: 0 to 255 in decimal without leading zeros",
                v4Error("10.0.0.1=a,.01=b"));
        assertEquals("invalid allocation ledger: entry 1 \".256=b\": short form \".256\" must be \".\" and the last octet: 0 to 255 in decimal without leading zeros",
                v4Error("10.0.0.1=a,.256=b"));
        assertEquals("invalid allocation ledger: entry 0 \"fd00::1=a\": \"fd00::1\" is not a valid IPv4 address: it is an IPv6 address",
                v4Error("fd00::1=a"));
        assertEquals("invalid allocation ledger: entry 0 \"10.0.0.1=a b\": reservation id \"a b\" must be 1 to 16 characters of a-z and 0-9",
                v4Error("10.0.0.1=a b"));
        assertEquals("invalid allocation ledger: entry 0 \"FD00::1=a\": address \"FD00::1\" must be written in canonical form fd00::1",
                assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V6, "FD00::1=a")).getMessage());
        assertEquals("invalid allocation ledger: entry 1 \":0b=b\": short form \":0b\" must be \":\" and the last group: 1 to 4 lowercase hex digits without leading zeros",
                assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V6, "fd00::a=a,:0b=b")).getMessage());
        assertEquals("invalid allocation ledger: entry 1 \":B=b\": short form \":B\" must be \":\" and the last group: 1 to 4 lowercase hex digits without leading zeros",
                assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V6, "fd00::a=a,:B=b")).getMessage());
        assertEquals("invalid allocation ledger: entry 1 \".5=b\": \".5\" is not a valid IPv4 address: expected 4 octets, found 2",
                assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V6, "fd00::a=a,.5=b")).getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {" ", "10.0.0.1=a ", " 10.0.0.1=a", "10.0.0.1=a, .2=b", "10.0.0.1=a;.2=b", "10.0.0.1=a=b",
        "10.0.0.1==a", "10.0.0.1=a,.2", "10.0.0.1=a,.=b", "10.0.0.1=a,.-1=b", "10.0.0.1=a,.+2=b", "10.0.0.1=a,:2=b",
        "10.0.0.1=é", "10.0.0.1=a\n", "garbage", "=", ",", "10.0.0.1=a,..2=b", "10.0.0.1/32=a", "10.0.0.1-10.0.0.2=a",
        "10.0.0.2=a,10.0.0.1=b", "10.0.1.1=a,.0=b", "{\"10.0.0.1\":\"a\"}"})
    void rejectsGarbage(String encoded) {
        assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V4, encoded));
    }

    @ParameterizedTest
    @ValueSource(strings = {":1=a", "fd00::1=a,:=b", "fd00::1=a,:12345=b", "fd00::1=a,:g=b", "fd00::2=a,:1=b", "fd00::1=a,:1=b",
        "fd00::1=a,10.0.0.1=b", "fd00:0::1=a", "fd00::1=a,::=b", "fd00::1=a,:::2=b"})
    void rejectsGarbageV6(String encoded) {
        assertThrows(IpFormatException.class, () -> AllocationLedger.decode(IpFamily.V6, encoded));
    }

    @Test
    void updates() {
        AllocationLedger l = AllocationLedger.empty(IpFamily.V4)
                .with(ip("10.0.0.5"), "pod1")
                .with(ip("10.0.0.1"), "pod2")
                .with(ip("10.0.0.9"), "pod1");
        assertEquals("10.0.0.1=pod2,.5=pod1,.9=pod1", l.encode());
        assertSame(l, l.with(ip("10.0.0.5"), "pod1"));
        assertEquals("10.0.0.5 is already held by reservation pod1; it cannot also be given to pod3",
                assertThrows(IllegalArgumentException.class, () -> l.with(ip("10.0.0.5"), "pod3")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> l.with(ip("10.0.0.6"), "Pod3"));
        assertThrows(IllegalArgumentException.class, () -> l.with(ip("10.0.0.6"), ""));
        assertThrows(IllegalArgumentException.class, () -> l.with(ip("fd00::1"), "pod3"));
        assertEquals(List.of(ip("10.0.0.5"), ip("10.0.0.9")), l.addressesOf("pod1"));
        assertEquals(List.of(), l.addressesOf("nobody"));
        assertEquals("10.0.0.1=pod2", l.withoutReservation("pod1").encode());
        assertSame(l, l.withoutReservation("nobody"));
        assertEquals("10.0.0.1=pod2,.9=pod1", l.without(ip("10.0.0.5")).encode());
        assertSame(l, l.without(ip("10.0.0.6")));
        assertEquals(List.of("pod1", "pod2"), List.copyOf(l.reservationIds()));
        assertEquals(List.of("10.0.0.1", "10.0.0.5", "10.0.0.9"), l.allocated().toStrings());
        assertEquals("{10.0.0.1=pod2, 10.0.0.5=pod1, 10.0.0.9=pod1}", l.asMap().toString());

        AllocationLedger more = l.withAll(List.of(ip("10.0.0.3"), ip("10.0.0.2"), ip("10.0.0.5"), ip("10.0.0.3")), "pod1");
        assertEquals("10.0.0.1=pod2,.2=pod1,.3=pod1,.5=pod1,.9=pod1", more.encode());
        assertEquals(List.of("10.0.0.1-10.0.0.3", "10.0.0.5", "10.0.0.9"), more.allocated().toStrings());
        assertSame(l, l.withAll(List.of(ip("10.0.0.5")), "pod1"));
        assertThrows(IllegalArgumentException.class, () -> l.withAll(List.of(ip("10.0.0.2"), ip("10.0.0.1")), "pod1"));
        assertEquals("AllocationLedger[IPv4, 3 entries]", l.toString());
    }

    // ------------------------------------------------------------ size of 65,536 entries (deterministic)

    @Test
    void encodedSizeOf65536EntriesStaysFarUnderEtcdLimit() {
        for (int step : new int[] {1, 2}) {
            for (IpAddress start : List.of(ip("10.0.0.0"), ip("fd00::"))) {
                AllocationLedger l = LedgerFixtures.ledger(start, 65_536, step);
                String encoded = l.encode();
                assertEquals(65_536, l.size());
                assertTrue(encoded.length() < ONE_MIB, start + " step " + step + ": " + encoded.length() + " bytes");
                AllocationLedger decoded = AllocationLedger.decode(start.family(), encoded);
                assertEquals(l, decoded);
                assertEquals(encoded, decoded.encode());
                assertEquals(step == 1 ? 1 : 65_536, decoded.allocated().rangeCount());
                assertEquals(java.math.BigInteger.valueOf(65_536), decoded.allocated().size());
            }
        }
    }

    @Test
    void exactEncodedSizes() {
        // ASCII only, so characters == bytes. Recorded in docs/address-core.md.
        assertEquals(LedgerFixtures.SIZE_V4_CONSECUTIVE, LedgerFixtures.ledger(ip("10.0.0.0"), 65_536, 1).encode().length());
        assertEquals(LedgerFixtures.SIZE_V4_EVERY_OTHER, LedgerFixtures.ledger(ip("10.0.0.0"), 65_536, 2).encode().length());
        assertEquals(LedgerFixtures.SIZE_V6_CONSECUTIVE, LedgerFixtures.ledger(ip("fd00::"), 65_536, 1).encode().length());
        assertEquals(LedgerFixtures.SIZE_V6_EVERY_OTHER, LedgerFixtures.ledger(ip("fd00::"), 65_536, 2).encode().length());
    }
}
