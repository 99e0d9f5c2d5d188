package dev.spinneret.ippool;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.Footprint;
import java.util.List;
import java.util.Optional;

/** Spiderpool's cross-object rules: which pools and subnets may coexist. Pure: footprints in, denial out. */
public final class OverlapRules {
    private OverlapRules() {
    }

    /** A pool: same-CIDR pools must not share usable addresses; a different but overlapping CIDR is refused. */
    public static Optional<AdmissionDenied> forPool(Footprint pool, List<Footprint> others) {
        for (Footprint o : others) {
            if (o.subnet().family() != pool.subnet().family() || !o.subnet().overlaps(pool.subnet())) {
                continue;
            }
            if (!o.subnet().equals(pool.subnet())) {
                return Optional.of(AdmissionDenied.field("spec.subnet", pool.subnet() + " overlaps " + o
                        + " whose spec.subnet is " + o.subnet() + "; pools and subnets of overlapping CIDRs must use"
                        + " the same CIDR"));
            }
            if (o.kind().equals("SpiderIPPool")) {
                IpRangeSet both = pool.usable().intersect(o.usable());
                if (!both.isEmpty()) {
                    return Optional.of(AdmissionDenied.field("spec.ips", String.join(",", both.toStrings())
                            + " overlap " + o + " (its usable addresses: " + String.join(",", o.usable().toStrings())
                            + "); the usable addresses of a pool are spec.ips minus spec.excludeIPs"));
                }
            } else {
                IpRangeSet outside = pool.usable().minus(o.usable());
                if (!outside.isEmpty()) {
                    return Optional.of(AdmissionDenied.field("spec.ips", String.join(",", outside.toStrings())
                            + " are not among the addresses of " + o + " (" + String.join(",", o.usable().toStrings())
                            + "), which owns the CIDR " + o.subnet()));
                }
            }
        }
        return Optional.empty();
    }

    /** A subnet: never overlaps another subnet; pools inside its CIDR must stay within its addresses. */
    public static Optional<AdmissionDenied> forSubnet(Footprint subnet, List<Footprint> others) {
        for (Footprint o : others) {
            if (o.subnet().family() != subnet.subnet().family() || !o.subnet().overlaps(subnet.subnet())) {
                continue;
            }
            if (o.kind().equals("SpiderSubnet")) {
                return Optional.of(AdmissionDenied.field("spec.subnet", subnet.subnet() + " overlaps " + o
                        + " whose spec.subnet is " + o.subnet() + "; only one SpiderSubnet may cover an address"));
            }
            if (!o.subnet().equals(subnet.subnet())) {
                return Optional.of(AdmissionDenied.field("spec.subnet", subnet.subnet() + " overlaps " + o
                        + " whose spec.subnet is " + o.subnet() + "; pools and subnets of overlapping CIDRs must use"
                        + " the same CIDR"));
            }
            IpRangeSet outside = o.usable().minus(subnet.usable());
            if (!outside.isEmpty()) {
                return Optional.of(AdmissionDenied.field("spec.ips", o + " owns " + String.join(",",
                        outside.toStrings()) + ", which this subnet would not contain"));
            }
        }
        return Optional.empty();
    }
}
