package dev.spinneret.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.cluster.AdmissionGate.Claim;
import dev.spinneret.cluster.AdmissionGate.Fate;
import dev.spinneret.cluster.AdmissionGate.Seen;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.Footprint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** When a recorded overlap claim still protects its addresses, and when it has done its job. */
@Tag("pure")
class ClaimFateTest {
    static final long T0 = 1_000_000;

    static Claim claim(String name, String uid, Long generation) {
        return new Claim("SpiderIPPool", name, "10.0.0.0/24", List.of("10.0.0.1-10.0.0.9"), T0, uid, generation);
    }

    static Footprint listed(String name, String uid, long generation) {
        return new Footprint("SpiderIPPool", name, Cidr.parse("10.0.0.0/24"),
                IpRangeSet.parse(IpFamily.V4, List.of("10.0.0.1-10.0.0.9")), uid, generation);
    }

    @Test
    void notYetStoredStaysInForceUntilTheTtl() {
        Claim c = claim("a", "u1", 1L);
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, List.of(), Map.of(), T0 + 59_000));
        assertEquals(Fate.EXPIRED, AdmissionGate.fate(c, List.of(), Map.of(), T0 + AdmissionGate.CLAIM_TTL_MS));
    }

    @Test
    void listedWithItsUidAndGenerationIsStored() {
        Claim c = claim("a", "u1", 1L);
        assertEquals(Fate.STORED, AdmissionGate.fate(c, List.of(listed("a", "u1", 1)), Map.of(), T0 + 1));
        assertEquals(Fate.STORED, AdmissionGate.fate(c, List.of(listed("a", "u1", 3)), Map.of(), T0 + 1));
    }

    @Test
    void anUpdateIsInForceUntilItsGenerationIsListed() {
        Claim c = claim("a", "u1", 4L);
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, List.of(listed("a", "u1", 3)), Map.of(), T0 + 1));
        assertEquals(Fate.STORED, AdmissionGate.fate(c, List.of(listed("a", "u1", 4)), Map.of(), T0 + 1));
    }

    @Test
    void storedThenDeletedIsGoneAtOnce() {
        // the case: created, stored, deleted within the TTL, then an overlapping pool is applied
        Claim c = claim("chaos-pool", "u1", 1L);
        Map<String, Seen> seen = Map.of("u1", new Seen(1, T0 + 500));
        assertEquals(Fate.GONE, AdmissionGate.fate(c, List.of(), seen, T0 + 2_000));
    }

    @Test
    void aDeletedPoolsPendingUpdateIsGoneToo() {
        Claim c = claim("a", "u1", 5L);
        assertEquals(Fate.GONE, AdmissionGate.fate(c, List.of(), Map.of("u1", new Seen(4, T0)), T0 + 1));
    }

    @Test
    void itsNameTakenByAnotherObjectIsGone() {
        Claim c = claim("a", "u1", 1L);
        assertEquals(Fate.GONE, AdmissionGate.fate(c, List.of(listed("a", "u2", 1)), Map.of(), T0 + 1));
    }

    @Test
    void otherObjectsSeenStoredSayNothingAboutThisClaim() {
        Claim c = claim("a", "u1", 1L);
        Map<String, Seen> seen = Map.of("u9", new Seen(1, T0));
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, List.of(listed("b", "u9", 1)), seen, T0 + 1));
    }

    @Test
    void withoutAListSeenStoredMeansTheCallersOwnListCoversIt() {
        Claim c = claim("a", "u1", 2L);
        assertEquals(Fate.STORED, AdmissionGate.fate(c, null, Map.of("u1", new Seen(2, T0)), T0 + 1));
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, null, Map.of("u1", new Seen(1, T0)), T0 + 1));
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, null, Map.of(), T0 + 1));
    }

    @Test
    void claimsWithoutIdentityFallBackToTheName() {
        // written by a replica of the previous version during a rolling upgrade
        Claim c = claim("a", null, null);
        assertEquals(Fate.STORED, AdmissionGate.fate(c, List.of(listed("a", "u1", 1)), Map.of(), T0 + 1));
        assertEquals(Fate.IN_FORCE, AdmissionGate.fate(c, List.of(), Map.of("u1", new Seen(1, T0)), T0 + 1));
    }

    @Test
    void theMessageSaysWhatTheClaimWaitsFor() {
        String create = AdmissionGate.waitingFor(claim("a", "u1", 1L), List.of(), T0 + 3_000);
        assertEquals("admitted 3s ago, not yet stored; its addresses stay claimed until it is stored, at most 57s more",
                create);
        String update = AdmissionGate.waitingFor(claim("a", "u1", 2L), List.of(listed("a", "u1", 1)), T0 + 3_000);
        assertTrue(update.startsWith("a change admitted 3s ago, not yet stored"), update);
    }
}
