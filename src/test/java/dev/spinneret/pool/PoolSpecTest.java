package dev.spinneret.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.api.v2beta1.Route;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The three depths a pool's spec is read at, and its family read leniently or strictly. */
@Tag("pure")
class PoolSpecTest {
    static SpiderIPPool pool(Long ipVersion, String subnet, List<String> ips, String gateway, List<Route> routes) {
        SpiderIPPool p = new SpiderIPPool();
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().ipVersion = ipVersion;
        p.getSpec().subnet = subnet;
        p.getSpec().ips = ips;
        p.getSpec().gateway = gateway;
        p.getSpec().routes = routes;
        return p;
    }

    @Test
    void aStoredRouteThatIsNoLongerValidLeavesTheAddressesReadable() {
        // a default route (dst /0) is refused by the webhook, but a pool stored before must still hand out addresses
        SpiderIPPool p = pool(4L, "10.1.0.0/24", List.of("10.1.0.10-10.1.0.12"), "10.1.0.1",
                List.of(new Route("0.0.0.0/0", "10.1.0.1")));
        assertEquals(3, PoolSpec.addresses(p).usable().sizeSaturatedLong());
        assertEquals(IpAddress.parse("10.1.0.1"), PoolSpec.handingOut(p).gateway());
        AdmissionDenied e = assertThrows(AdmissionDenied.class, () -> PoolSpec.complete(p.getSpec()));
        assertTrue(e.getMessage().contains("spec.routes[0].dst"), e.getMessage());
    }

    @Test
    void theGatewayIsCheckedOnlyWhenAddressesAreHandedOut() {
        SpiderIPPool p = pool(null, "10.1.0.0/24", List.of("10.1.0.1-10.1.0.3"), "10.1.0.1", null);
        assertEquals(null, PoolSpec.addresses(p).gateway()); // overlap checks read the addresses only
        AdmissionDenied e = assertThrows(AdmissionDenied.class, () -> PoolSpec.handingOut(p));
        assertTrue(e.getMessage().startsWith("spec.gateway"), e.getMessage());
    }

    @Test
    void handOutLeavesOutReservedAddressesAndTheGateway() {
        SpiderIPPool p = pool(4L, "10.1.0.0/24", List.of("10.1.0.1-10.1.0.5"), "10.1.0.9", null);
        AddressSpec spec = PoolSpec.handingOut(p);
        IpRangeSet reserved = IpRangeSet.parse(IpFamily.V4, List.of("10.1.0.2"));
        assertEquals(IpRangeSet.parse(IpFamily.V4, List.of("10.1.0.1", "10.1.0.3-10.1.0.5")), spec.handOut(reserved));
        p.getSpec().ips = List.of("10.1.0.1-10.1.0.9");
        p.getSpec().excludeIPs = List.of("10.1.0.9");
        assertEquals(IpRangeSet.parse(IpFamily.V4, List.of("10.1.0.1", "10.1.0.3-10.1.0.8")),
                PoolSpec.handingOut(p).handOut(reserved), "an excluded gateway is not handed out either");
    }

    @Test
    void familyLenientlyForStoredPoolsStrictlyForSelection() {
        assertEquals(IpFamily.V6, PoolSpec.family(pool(null, "fd00::/64", null, null, null)));
        assertEquals(IpFamily.V6, PoolSpec.family(pool(6L, "fd00::/64", null, null, null)));
        assertEquals(IpFamily.V4, PoolSpec.family(pool(4L, "10.1.0.0/24", null, null, null)));
        assertEquals(IpFamily.V4, PoolSpec.family(new SpiderIPPool()), "no spec");
        assertEquals(Optional.of(IpFamily.V6), PoolSpec.strictFamily(pool(null, "fd00::/64", null, null, null)));
        assertEquals(Optional.empty(), PoolSpec.strictFamily(pool(5L, "10.1.0.0/24", null, null, null)));
        assertEquals(Optional.empty(), PoolSpec.strictFamily(pool(null, "not a cidr", null, null, null)));
        assertEquals(Optional.empty(), PoolSpec.strictFamily(pool(4L, null, null, null, null)));
        assertEquals(IpFamily.V4, PoolSpec.family(pool(5L, "10.1.0.0/24", null, null, null)),
                "a stored pool's blocks are read as IPv4 unless it says 6");
    }
}
