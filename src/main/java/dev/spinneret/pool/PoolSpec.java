package dev.spinneret.pool;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.api.v2beta1.SpiderSubnetSpec;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpFamily;
import java.util.Optional;

/**
 * A SpiderIPPool's or SpiderSubnet's spec read as an {@link AddressSpec}, in one place. Three depths, because
 * readers differ in what they may trust:
 * <ul>
 * <li>{@link #addresses}: subnet, {@code ips}, {@code excludeIPs} — what the object covers (overlap checks, subnet
 * status, a spec before an update). A gateway or route stored before it was checked does not make it unreadable.</li>
 * <li>{@link #handingOut}: those and the gateway, checked against them — what the allocator hands out from.</li>
 * <li>{@link #complete}: everything, routes included — what the webhooks admit.</li>
 * </ul>
 * Each throws {@link AdmissionDenied} naming the field that is wrong.
 */
public final class PoolSpec {
    private PoolSpec() {
    }

    public static AddressSpec addresses(SpiderIPPool pool) {
        SpiderIPPoolSpec s = pool.getSpec();
        return AddressSpec.parse(s.ipVersion, s.subnet, s.ips, s.excludeIPs, null, null);
    }

    public static AddressSpec addresses(SpiderSubnet subnet) {
        SpiderSubnetSpec s = subnet.getSpec();
        return AddressSpec.parse(s.ipVersion, s.subnet, s.ips, s.excludeIPs, null, null);
    }

    public static AddressSpec handingOut(SpiderIPPool pool) {
        SpiderIPPoolSpec s = pool.getSpec();
        return AddressSpec.parse(s.ipVersion, s.subnet, s.ips, s.excludeIPs, s.gateway, null);
    }

    public static AddressSpec complete(SpiderIPPoolSpec s) {
        return AddressSpec.parse(s.ipVersion, s.subnet, s.ips, s.excludeIPs, s.gateway, s.routes);
    }

    public static AddressSpec complete(SpiderSubnetSpec s) {
        return AddressSpec.parse(s.ipVersion, s.subnet, s.ips, s.excludeIPs, s.gateway, s.routes);
    }

    /**
     * The pool's family, strictly: {@code spec.ipVersion} (4 or 6), else its subnet's; empty when neither can be read
     * (such a pool is offered to no pod).
     */
    public static Optional<IpFamily> strictFamily(SpiderIPPool pool) {
        SpiderIPPoolSpec s = pool.getSpec();
        if (s == null || s.subnet == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(s.ipVersion != null ? IpFamily.ofNumber(s.ipVersion.intValue())
                    : Cidr.parse(s.subnet).family());
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    /**
     * The pool's family without parsing the rest, leniently (for a pool already stored, whose blocks are read in its
     * family): {@code spec.ipVersion}, else its subnet's (as the pool webhook derives it); IPv4 for a pool without a
     * spec.
     */
    public static IpFamily family(SpiderIPPool pool) {
        SpiderIPPoolSpec s = pool.getSpec();
        if (s == null) {
            return IpFamily.V4;
        }
        if (s.ipVersion != null) {
            return s.ipVersion == 6 ? IpFamily.V6 : IpFamily.V4;
        }
        return s.subnet != null && s.subnet.contains(":") ? IpFamily.V6 : IpFamily.V4;
    }
}
