package dev.spinneret.api.v2beta1;

/** Names shared by every resource of the API group. */
public final class SpiderApi {
    public static final String GROUP = "spiderpool.spidernet.io";
    public static final String VERSION = "v2beta1";
    public static final String API_VERSION = GROUP + "/" + VERSION;
    /** The finalizer Spiderpool puts on pools and subnets; deletion waits until nothing is allocated. */
    public static final String FINALIZER = "spiderpool.spidernet.io";

    public static final String LABEL_IPPOOL_CIDR = "ipam.spidernet.io/ippool-cidr";
    public static final String LABEL_SUBNET_CIDR = "ipam.spidernet.io/subnet-cidr";
    public static final String LABEL_OWNER_SUBNET = "ipam.spidernet.io/owner-spider-subnet";

    private SpiderApi() {
    }
}
