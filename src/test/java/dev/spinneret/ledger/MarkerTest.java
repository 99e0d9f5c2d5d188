package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.PreviousReleaseLedger;
import java.util.List;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The forms {@code status.allocatedIPs} takes once the ledger is in blocks, and block names. */
@Tag("pure")
class MarkerTest {
    static final String L = "10.0.0.5=abc,.6=def";

    /**
     * The release before blocks ({@link PreviousReleaseLedger}, its grammar pinned) refuses both forms, so an old
     * replica fails its requests instead of allocating; it reads what it wrote itself (the positive control).
     */
    @Test
    void thePreviousReleaseRefusesTheMarkerAndTheMigratingForm() {
        assertTrue(PreviousReleaseLedger.accepts(IpFamily.V4, L));
        assertTrue(PreviousReleaseLedger.accepts(IpFamily.V6, "fd00::9=web1,:a=k2x9a0b1qz3m"));
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, PoolBlocks.MARKER));
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, PoolBlocks.MIGRATING + L));
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V6, PoolBlocks.MARKER));
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V6, PoolBlocks.MIGRATING + "fd00::9=web1"));
        // a pool being adopted from Spiderpool: refused by the previous release, and no JSON for Spiderpool's agent
        String json = "{\"10.0.0.5\":{\"pod\":\"default/p\",\"podUid\":\"u1\"}}";
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, PoolBlocks.ADOPTING + json));
        assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, json));
        assertFalse(SpiderpoolLedger.looksLike(PoolBlocks.ADOPTING + json));
    }

    /** The pinned grammar is that of the inline ledger: it accepts every ledger the encoder writes, of both families. */
    @Test
    void thePinnedGrammarAcceptsWhatTheEncoderWrites() {
        java.util.Random r = new java.util.Random(26);
        for (int n = 0; n < 300; n++) {
            for (IpFamily f : IpFamily.values()) {
                java.util.Map<IpAddress, String> m = new java.util.HashMap<>();
                for (int k = r.nextInt(40); k > 0; k--) {
                    int a = r.nextInt(1024);
                    m.put(IpAddress.parse(f == IpFamily.V4 ? "10.1." + (a >> 8) + "." + (a & 255)
                            : "fd00::" + Integer.toHexString(r.nextInt(3)) + ":" + Integer.toHexString(a)),
                            "r" + Integer.toString(r.nextInt(100_000), 36));
                }
                String encoded = AllocationLedger.of(f, m).encode();
                assertTrue(PreviousReleaseLedger.accepts(f, encoded), encoded);
            }
        }
        // and it is strict where that release was: order, short form first, ids, octets
        for (String bad : List.of(".6=a", "10.0.0.6=a,10.0.0.5=b", "10.0.0.5=A", "10.0.0.5=", "10.0.0.256=a",
                "10.0.0.5=a,", "10.0.0.05=a", "10.0.0.5=abcdefghijklmnopq")) {
            assertFalse(PreviousReleaseLedger.accepts(IpFamily.V4, bad), bad);
        }
    }

    @Test
    void inlineLedgerIsReadInBothForms() {
        assertEquals(L, PoolBlocks.inline(pool(L)).encode());
        assertEquals(L, PoolBlocks.inline(pool(PoolBlocks.MIGRATING + L)).encode());
        assertTrue(PoolBlocks.inline(pool(null)).isEmpty());
        assertTrue(PoolBlocks.migrated(pool(PoolBlocks.MARKER)));
        assertFalse(PoolBlocks.migrated(pool(PoolBlocks.MIGRATING + L)));
        assertFalse(PoolBlocks.migrated(pool("")));
    }

    @Test
    void blockNamesCarryThePoolUidAndTheBlockStartInHex() {
        SpiderIPPool p = pool(null);
        assertEquals("u-1-0a000000", PoolBlocks.name(p, IpAddress.parse("10.0.0.77")));
        assertEquals("u-1-fd000000000000000000000000000a00", PoolBlocks.name(p, IpAddress.parse("fd00::aff")));
    }

    static SpiderIPPool pool(String allocated) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("p").withUid("u-1").build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().ipVersion = 4L;
        p.setStatus(new SpiderIPPoolStatus());
        p.getStatus().allocatedIPs = allocated;
        return p;
    }
}
