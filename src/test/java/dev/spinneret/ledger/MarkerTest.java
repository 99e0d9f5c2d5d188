package dev.spinneret.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import org.junit.jupiter.api.Test;

/** The forms {@code status.allocatedIPs} takes once the ledger is in blocks, and block names. */
class MarkerTest {
    static final String L = "10.0.0.5=abc,.6=def";

    /** The decoder of every earlier version is this strict decoder: it must refuse both forms (old replicas fail). */
    @Test
    void earlierVersionsRefuseTheMarkerAndTheMigratingForm() {
        assertThrows(IllegalArgumentException.class, () -> AllocationLedger.decode(IpFamily.V4, PoolBlocks.MARKER));
        assertThrows(IllegalArgumentException.class,
                () -> AllocationLedger.decode(IpFamily.V4, PoolBlocks.MIGRATING + L));
        assertThrows(IllegalArgumentException.class, () -> AllocationLedger.decode(IpFamily.V6, PoolBlocks.MARKER));
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
