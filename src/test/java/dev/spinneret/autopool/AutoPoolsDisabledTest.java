package dev.spinneret.autopool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.IpamAnnotations;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code spinneret.auto-pool.enabled=false} (chart: {@code autoPool.enabled: false}): a pod asking for an automatic
 * pool is refused, naming the setting and the way out, before anything is read or created (this AutoPools has no
 * API client: any call to the cluster would fail the test).
 */
@Tag("pure")
class AutoPoolsDisabledTest {
    static final Owner DEPLOYMENT = new Owner("apps/v1", "Deployment", "ns", "web", "uid-1");

    @Test
    void aSubnetAnnotationIsRefusedWhenAutomaticPoolsAreDisabled() {
        AutoPools off = new AutoPools();
        off.enabled = false;
        off.defaultIpNumber = "+1";
        Map<String, String> annotations = Map.of(IpamAnnotations.SUBNET, "{\"ipv4\":[\"nodes-subnet\"]}");
        ReservationDenied d = assertThrows(ReservationDenied.class, () -> off.prepare(DEPLOYMENT, annotations, false));
        assertEquals("AutoPoolDisabled", d.kind());
        assertTrue(d.getMessage().contains("automatic pools are disabled (spinneret.auto-pool.enabled=false)")
                && d.getMessage().contains(IpamAnnotations.IPPOOL), d.getMessage());
        // the positive control: enabled, the same pod gets past that check (to the cluster, which this one lacks)
        AutoPools on = new AutoPools();
        on.enabled = true;
        on.defaultIpNumber = "+1";
        RuntimeException past = assertThrows(RuntimeException.class, () -> on.prepare(DEPLOYMENT, annotations, false));
        assertTrue(!(past instanceof ReservationDenied) || !"AutoPoolDisabled".equals(((ReservationDenied) past).kind()),
                past.toString());
    }
}
