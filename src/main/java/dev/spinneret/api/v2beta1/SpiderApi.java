package dev.spinneret.api.v2beta1;

/** Names shared by every resource of the API group. */
public final class SpiderApi {
    public static final String GROUP = "spiderpool.spidernet.io";
    public static final String VERSION = "v2beta1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /**
     * Spinneret's finalizer on pools: deletion waits until nothing is allocated. Domain-qualified with a path, so the
     * API server prints no warning when it is added.
     */
    public static final String POOL_FINALIZER = GROUP + "/ippool";
    /** Spinneret's finalizer on subnets: deletion waits until no pool of the subnet's CIDR is left. */
    public static final String SUBNET_FINALIZER = GROUP + "/subnet";
    /**
     * The finalizer Spiderpool and Spinneret before 2026-12 put on pools and subnets (the API server warns about it on
     * every create). Honoured like the current ones, and replaced by them in the same write.
     */
    public static final String LEGACY_FINALIZER = GROUP;

    public static final String LABEL_IPPOOL_CIDR = "ipam.spidernet.io/ippool-cidr";
    public static final String LABEL_SUBNET_CIDR = "ipam.spidernet.io/subnet-cidr";
    public static final String LABEL_OWNER_SUBNET = "ipam.spidernet.io/owner-spider-subnet";

    private SpiderApi() {
    }
}
