package dev.spinneret.pool;

import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.api.v2beta1.Route;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpFormatException;
import dev.spinneret.ip.IpRange;
import dev.spinneret.ip.IpRangeSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The address part shared by SpiderIPPool and SpiderSubnet specs, parsed and checked field by field. Every failure
 * is an {@link AdmissionDenied} whose message starts with the field path.
 */
public record AddressSpec(IpFamily family, Cidr subnet, IpRangeSet ips, IpRangeSet excludeIPs, IpAddress gateway,
        List<Route> routes) {

    /** ips − excludeIPs: the addresses that count in TOTAL-IP-COUNT and may be handed out. */
    public IpRangeSet usable() {
        return ips.minus(excludeIPs);
    }

    /** What may be handed out: the usable addresses but the {@code reserved} ones (SpiderReservedIPs) and the gateway. */
    public IpRangeSet handOut(IpRangeSet reserved) {
        IpRangeSet handOut = usable().minus(reserved);
        return gateway == null ? handOut : handOut.minus(IpRangeSet.of(IpRange.single(gateway)));
    }

    public static AddressSpec parse(Long ipVersion, String subnet, List<String> ips, List<String> excludeIPs,
            String gateway, List<Route> routes) {
        if (subnet == null || subnet.isBlank()) {
            throw AdmissionDenied.field("spec.subnet", "is required, e.g. 10.244.0.0/16");
        }
        Cidr cidr;
        try {
            cidr = Cidr.parseCanonical(subnet.trim());
        } catch (IpFormatException e) {
            throw AdmissionDenied.field("spec.subnet", e.getMessage());
        }
        IpFamily family;
        if (ipVersion == null) {
            family = cidr.family();
        } else {
            try {
                family = IpFamily.ofNumber(ipVersion.intValue() == ipVersion ? ipVersion.intValue() : -1);
            } catch (IpFormatException e) {
                throw AdmissionDenied.field("spec.ipVersion", e.getMessage());
            }
            if (family != cidr.family()) {
                throw AdmissionDenied.field("spec.subnet", subnet + " is an IPv" + cidr.family().number()
                        + " CIDR but spec.ipVersion is " + ipVersion);
            }
        }
        IpRangeSet ipSet = ranges("spec.ips", ips, family, cidr);
        IpRangeSet excludeSet = ranges("spec.excludeIPs", excludeIPs, family, cidr);
        IpAddress gw = null;
        if (gateway != null) {
            gw = address("spec.gateway", gateway, family);
            if (!cidr.contains(gw)) {
                throw AdmissionDenied.field("spec.gateway", gateway + " is outside spec.subnet " + cidr);
            }
            if (ipSet.contains(gw) && !excludeSet.contains(gw)) {
                throw AdmissionDenied.field("spec.gateway", gateway + " is among the usable addresses in spec.ips;"
                        + " add it to spec.excludeIPs or remove it from spec.ips");
            }
        }
        List<Route> checkedRoutes = routes == null ? List.of() : routes;
        Set<Cidr> seen = new HashSet<>();
        for (int i = 0; i < checkedRoutes.size(); i++) {
            Route r = checkedRoutes.get(i);
            String path = "spec.routes[" + i + "]";
            if (r == null || r.dst == null || r.gw == null) {
                throw AdmissionDenied.field(path, "dst and gw are both required");
            }
            Cidr dst;
            try {
                dst = Cidr.parseCanonical(r.dst.trim());
            } catch (IpFormatException e) {
                throw AdmissionDenied.field(path + ".dst", e.getMessage());
            }
            if (dst.family() != family) {
                throw AdmissionDenied.field(path + ".dst", r.dst + " is not an IPv" + family.number() + " CIDR");
            }
            if (dst.prefixLength() == 0) {
                throw AdmissionDenied.field(path + ".dst", r.dst
                        + " is a default route; set spec.gateway to configure the default route");
            }
            if (!seen.add(dst)) {
                throw AdmissionDenied.field(path + ".dst", r.dst + " is listed twice in spec.routes");
            }
            IpAddress rgw = address(path + ".gw", r.gw, family);
            if (!cidr.contains(rgw)) {
                throw AdmissionDenied.field(path + ".gw", r.gw + " is outside spec.subnet " + cidr);
            }
        }
        return new AddressSpec(family, cidr, ipSet, excludeSet, gw, checkedRoutes);
    }

    static IpRangeSet ranges(String path, List<String> items, IpFamily family, Cidr within) {
        List<String> texts = new ArrayList<>();
        if (items != null) {
            for (int i = 0; i < items.size(); i++) {
                String item = items.get(i);
                String p = path + "[" + i + "]";
                if (item == null || item.isBlank()) {
                    throw AdmissionDenied.field(p, "is empty; expected an address or a range like 10.0.0.1-10.0.0.9");
                }
                IpRange range;
                try {
                    range = IpRange.parse(item.trim());
                } catch (IpFormatException e) {
                    throw AdmissionDenied.field(p, e.getMessage());
                }
                if (range.family() != family) {
                    throw AdmissionDenied.field(p, item + " is IPv" + range.family().number() + " but the subnet is IPv"
                            + family.number());
                }
                if (within != null && !(within.contains(range.first()) && within.contains(range.last()))) {
                    throw AdmissionDenied.field(p, item + " is outside spec.subnet " + within);
                }
                texts.add(item.trim());
            }
        }
        return IpRangeSet.parse(family, texts);
    }

    static IpAddress address(String path, String text, IpFamily family) {
        IpAddress a;
        try {
            a = IpAddress.parse(text.trim());
        } catch (IpFormatException e) {
            throw AdmissionDenied.field(path, e.getMessage());
        }
        if (a.family() != family) {
            throw AdmissionDenied.field(path, text + " is not an IPv" + family.number() + " address");
        }
        return a;
    }

    /** {@code 10.244.0.0/16} → {@code 10-244-0-0-16}, the label value Spiderpool uses. */
    public static String cidrLabel(Cidr cidr) {
        return cidr.toString().replace('.', '-').replace(':', '-').replace('/', '-');
    }
}
