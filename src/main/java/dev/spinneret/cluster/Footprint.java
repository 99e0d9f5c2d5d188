package dev.spinneret.cluster;

import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpRangeSet;

/** The addresses a pool or subnet covers: what overlap checks compare. {@code kind} is SpiderIPPool or SpiderSubnet. */
public record Footprint(String kind, String name, Cidr subnet, IpRangeSet usable) {

    public boolean sameObject(String otherKind, String otherName) {
        return kind.equals(otherKind) && name.equals(otherName);
    }

    @Override
    public String toString() {
        return kind + " " + name;
    }
}
