package dev.spinneret.cni;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Both ledger readers (the plugin's own and the shared ipcore decoder the plugin uses) agree on the format. */
class BuiltinLedgerTest {
    static List<LedgerLookup> impls() {
        return List.of(BuiltinLedger.INSTANCE, IpcoreLedger.INSTANCE);
    }

    @ParameterizedTest
    @MethodSource("impls")
    void ipv4WithRelativeEntries(LedgerLookup l) {
        String s = Fixtures.V4_LEDGER;
        assertEquals("k2x9a0b1", l.owner(s, "10.244.100.90"));
        assertEquals("ab12cd34", l.owner(s, "10.244.100.92"));
        assertEquals("zz99aa00", l.owner(s, "10.244.101.1"));
        assertNull(l.owner(s, "10.244.100.91"));
        assertNull(l.owner("", "10.244.100.91"));
        assertNull(l.owner(null, "10.244.100.91"));
    }

    @ParameterizedTest
    @MethodSource("impls")
    void ipv6WithRelativeEntriesAndNonCanonicalQuery(LedgerLookup l) {
        String s = "fd00::5=aaa,:6=bbb,:ff=ccc,fd00::1:0=ddd,:1=eee";
        assertEquals("aaa", l.owner(s, "fd00:0:0::5"));
        assertEquals("bbb", l.owner(s, "fd00::6"));
        assertEquals("ccc", l.owner(s, "fd00::ff"));
        assertEquals("ddd", l.owner(s, "fd00::1:0"));
        assertEquals("eee", l.owner(s, "fd00::1:1"));
        assertNull(l.owner(s, "fd00::7"));
    }

    @ParameterizedTest
    @MethodSource("impls")
    void malformed(LedgerLookup l) {
        assertThrows(IllegalArgumentException.class, () -> l.owner(".5=x", "10.0.0.5"));
        assertThrows(IllegalArgumentException.class, () -> l.owner("10.0.0.1=a,,10.0.0.5=b", "10.0.0.5"));
        assertThrows(IllegalArgumentException.class, () -> l.owner("10.0.0.1", "10.0.0.5"));
        assertThrows(IllegalArgumentException.class, () -> l.owner("10.0.0.1=a,.300=b", "10.0.0.5"));
    }

    @Test
    void canonical() {
        assertEquals("fd00::5", Addr.canonical("fd00:0:0:0:0:0:0:5"));
        assertEquals("2001:db8::1:0:0:1", Addr.canonical("2001:db8:0:0:1:0:0:1"));
        assertEquals("::", Addr.canonical("0::0"));
        assertEquals("10.0.0.1", Addr.canonical("10.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Addr.parse("010.0.0.1"));
        assertThrows(IllegalArgumentException.class, () -> Addr.parse("example.com"));
    }
}
