package dev.spinneret.pool;

import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpRangeSet;

/**
 * The addresses a pool or subnet covers: what overlap checks compare. {@code kind} is SpiderIPPool or SpiderSubnet.
 * {@code uid} and {@code generation} say which incarnation and which spec of the object this is (null when unknown):
 * the admission gate uses them to tell whether a claim has been stored.
 */
public record Footprint(String kind, String name, Cidr subnet, IpRangeSet usable, String uid, Long generation) {

    public Footprint(String kind, String name, Cidr subnet, IpRangeSet usable) {
        this(kind, name, subnet, usable, null, null);
    }

    public boolean sameObject(String otherKind, String otherName) {
        return kind.equals(otherKind) && name.equals(otherName);
    }

    /** The same footprint for the object's identity as seen in an admission request or a list. */
    public Footprint of(String objectUid, Long objectGeneration) {
        return new Footprint(kind, name, subnet, usable, objectUid, objectGeneration);
    }

    @Override
    public String toString() {
        return kind + " " + name;
    }
}
