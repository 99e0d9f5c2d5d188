package dev.spinneret.cni;

/** Shared annotation values. */
public final class Fixtures {
    public static final String DUAL_STACK = "{\"id\":\"k2x9a0b1\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.244.100.90/16\","
            + "\"ipv4Pool\":\"nginx-v4-ippool\",\"ipv4Gateway\":\"10.244.0.1\",\"ipv6\":\"fd00::5/64\",\"ipv6Pool\":\"p6\","
            + "\"ipv6Gateway\":\"fd00::1\",\"vlan\":0,\"cleanGateway\":false,\"routes\":[{\"dst\":\"10.10.0.0/16\",\"gw\":\"10.244.0.1\"}]}]}";
    public static final String V4_ONLY = "{\"id\":\"k2x9a0b1\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.244.100.90/16\","
            + "\"ipv4Pool\":\"nginx-v4-ippool\",\"ipv4Gateway\":\"10.244.0.1\",\"vlan\":0,\"cleanGateway\":false,"
            + "\"routes\":[{\"dst\":\"10.10.0.0/16\",\"gw\":\"10.244.0.1\"}]}]}";
    public static final String V6_ONLY = "{\"id\":\"k2x9a0b1\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv6\":\"fd00::5/64\","
            + "\"ipv6Pool\":\"p6\",\"ipv6Gateway\":\"fd00::1\"}]}";
    public static final String MULTI_NIC = "{\"id\":\"k2x9a0b1\",\"interfaces\":["
            + "{\"interface\":\"eth0\",\"ipv4\":\"10.244.100.90/16\",\"ipv4Pool\":\"nginx-v4-ippool\",\"ipv4Gateway\":\"10.244.0.1\"},"
            + "{\"interface\":\"net1\",\"ipv4\":\"172.16.5.7/24\",\"ipv4Pool\":\"macvlan-pool\",\"ipv4Gateway\":\"172.16.5.1\",\"cleanGateway\":true,"
            + "\"routes\":[{\"dst\":\"172.17.0.0/16\",\"gw\":\"172.16.5.1\"}]}]}";
    public static final String V4_LEDGER = "10.244.100.90=k2x9a0b1,.92=ab12cd34,10.244.101.1=zz99aa00";

    private Fixtures() {
    }
}
