package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Reading the ledger Spiderpool writes into {@code SpiderIPPool.status.allocatedIPs} (v1.2.1: address →
 * {@code {"pod","podUid"}}; earlier releases add {@code "interface"}), fixtures in the shape of
 * /work/shared/reference/spiderpool-behaviour.md §1.1 and of what its agent writes.
 */
@Tag("pure")
class SpiderpoolLedgerTest {
    static final String UID_A = "e7b50a38-25c2-41d0-b332-7f6c9b1e0a11";
    static final String UID_B = "0c6a2d7e-9f1b-4c3e-8a5d-2b7e4f6a9c10";
    static final String UID_STS = "5d1f3a9b-7e2c-4b6d-9a8f-1c3e5b7d9f20";

    /** As the v1.2.1 agent writes it: Go's map order (unsorted), no spaces. */
    static final String V121 = "{\"172.31.199.200\":{\"pod\":\"default/web-0\",\"podUid\":\"" + UID_STS + "\"},"
            + "\"172.31.199.193\":{\"pod\":\"default/test-app-1-9dc78fb9-rs99d\",\"podUid\":\"" + UID_A + "\"},"
            + "\"172.31.199.194\":{\"pod\":\"kube-system/coredns-5d78c9869d-x2x7k\",\"podUid\":\"" + UID_B + "\"}}";

    @Test
    void everyRecordBecomesAnEntryOfTheReservationOfItsPodUidBoundToThePodItNames() {
        SpiderpoolLedger l = SpiderpoolLedger.parse(IpFamily.V4, V121);
        String a = SpiderpoolLedger.reservationId(UID_A);
        String b = SpiderpoolLedger.reservationId(UID_B);
        String sts = SpiderpoolLedger.reservationId(UID_STS);
        assertEquals(3, l.ledger().size());
        assertEquals(a, l.ledger().owner(IpAddress.parse("172.31.199.193")).orElseThrow());
        assertEquals(b, l.ledger().owner(IpAddress.parse("172.31.199.194")).orElseThrow());
        assertEquals(sts, l.ledger().owner(IpAddress.parse("172.31.199.200")).orElseThrow());
        assertEquals(Map.of(a, "default/test-app-1-9dc78fb9-rs99d", b, "kube-system/coredns-5d78c9869d-x2x7k", sts,
                "default/web-0"), l.holders());
        // entries sorted by address, with what was recorded
        assertEquals(List.of("172.31.199.193", "172.31.199.194", "172.31.199.200"),
                l.entries().stream().map(e -> e.address().toString()).toList());
        SpiderpoolLedger.Entry first = l.entries().get(0);
        assertEquals("default", first.namespace());
        assertEquals("test-app-1-9dc78fb9-rs99d", first.pod());
        assertEquals(UID_A, first.podUid());
        // the Spinneret ledger it becomes is one the strict decoder reads back unchanged
        assertEquals(l.ledger(), AllocationLedger.decode(IpFamily.V4, l.ledger().encode()));
    }

    @Test
    void theReservationIdDependsOnThePodUidOnlySoEveryPoolAndReplicaImportsTheSame() {
        String id = SpiderpoolLedger.reservationId(UID_A);
        assertEquals(id, SpiderpoolLedger.reservationId(UID_A));
        assertTrue(id.matches("[a-z0-9]{12}"), id);
        // a later pod of the same name has another UID, hence another reservation: the record is never its
        assertNotEquals(id, SpiderpoolLedger.reservationId(UID_B));
        // not the id Spinneret's own late path derives for that pod, nor an admission request's
        assertNotEquals(id, IdDigest.of("late:" + UID_A));
        assertNotEquals(id, IdDigest.of(UID_A));
    }

    @Test
    void twoAddressesOfOnePodInOnePoolShareTheReservation() {
        String json = "{\"10.6.0.2\":{\"pod\":\"ns1/multi\",\"podUid\":\"" + UID_A + "\",\"interface\":\"eth0\"},"
                + "\"10.6.0.3\":{\"pod\":\"ns1/multi\",\"podUid\":\"" + UID_A + "\",\"interface\":\"net1\"}}";
        SpiderpoolLedger l = SpiderpoolLedger.parse(IpFamily.V4, json);
        assertEquals(2, l.ledger().size());
        assertEquals(1, l.ledger().reservationIds().size());
        assertEquals(Map.of(SpiderpoolLedger.reservationId(UID_A), "ns1/multi"), l.holders());
    }

    @Test
    void ipv6AddressesAreWrittenCanonically() {
        String json = "{\"fd00:0:0:0:0:0:0:a\":{\"pod\":\"default/v6\",\"podUid\":\"" + UID_A + "\"}}";
        SpiderpoolLedger l = SpiderpoolLedger.parse(IpFamily.V6, json);
        assertEquals("fd00::a", l.entries().get(0).address().toString());
        assertTrue(l.ledger().encode().startsWith("fd00::a="), l.ledger().encode());
    }

    @Test
    void anEmptyLedgerIsEmpty() {
        assertTrue(SpiderpoolLedger.parse(IpFamily.V4, "{}").ledger().isEmpty());
    }

    @Test
    void recognisesSpiderpoolsFormAndNotSpinnerets() {
        assertTrue(SpiderpoolLedger.looksLike(V121));
        assertTrue(SpiderpoolLedger.looksLike("{}"));
        assertTrue(SpiderpoolLedger.looksLike(" {\"a\":1}"));
        assertFalse(SpiderpoolLedger.looksLike(null));
        assertFalse(SpiderpoolLedger.looksLike(""));
        assertFalse(SpiderpoolLedger.looksLike("10.0.0.5=abc,.6=def"));
        assertFalse(SpiderpoolLedger.looksLike("spinneret-blocks/v1"));
    }

    @Test
    void malformedLedgersAreRefusedNamingTheRecordAndWhatIsWrong() {
        String ok = "\"pod\":\"default/p\",\"podUid\":\"" + UID_A + "\"";
        Map<String, String> cases = Map.ofEntries(
                Map.entry("{\"10.0.0.1\":{" + ok + "}", "not JSON"),
                Map.entry("[\"10.0.0.1\"]", "expected a JSON object"),
                Map.entry("{\"10.0.0.999\":{" + ok + "}}", "record \"10.0.0.999\": not an IPv4 address"),
                Map.entry("{\"fd00::1\":{" + ok + "}}", "record \"fd00::1\": not an IPv4 address"),
                Map.entry("{\"10.0.0.1\":\"default/p\"}", "record \"10.0.0.1\": the record must be a JSON object"),
                Map.entry("{\"10.0.0.1\":{\"podUid\":\"" + UID_A + "\"}}", "\"pod\" is missing"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"default/p\"}}", "\"podUid\" is missing"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"default/p\",\"podUid\":\"\"}}", "\"podUid\" is missing"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"p\",\"podUid\":\"" + UID_A + "\"}}",
                        "\"pod\": \"p\" must be <namespace>/<pod name>"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"Default/P\",\"podUid\":\"" + UID_A + "\"}}",
                        "must be <namespace>/<pod name>"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"default/p\",\"podUid\":\"a b\"}}", "is not a UID"),
                Map.entry("{\"10.0.0.1\":{" + ok + "},\"10.0.0.1\":{" + ok + "}}", "Duplicate field"),
                Map.entry("{\"10.0.0.1\":{\"pod\":\"default/p\",\"podUid\":\"" + UID_A + "\"},"
                        + "\"10.0.0.2\":{\"pod\":\"default/q\",\"podUid\":\"" + UID_A + "\"}}",
                        "pod UID " + UID_A + " is recorded for pod default/p and for pod default/q"));
        cases.forEach((json, expected) -> {
            var e = assertThrows(IllegalArgumentException.class, () -> SpiderpoolLedger.parse(IpFamily.V4, json),
                    json);
            assertTrue(e.getMessage().startsWith("invalid Spiderpool ledger"), e.getMessage());
            assertTrue(e.getMessage().contains(expected), json + " → " + e.getMessage());
        });
    }
}
