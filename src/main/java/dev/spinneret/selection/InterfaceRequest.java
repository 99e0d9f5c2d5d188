package dev.spinneret.selection;

import java.util.List;

/**
 * What one pod interface asks for: pool names (or patterns) per family, in the order the user wrote them, and
 * where the request came from (for error messages: "pod annotation ipam.spidernet.io/ippools"). {@code ips} are
 * addresses asked for by value (Multus' network selection {@code ips}); empty for most requests.
 */
public record InterfaceRequest(String iface, List<String> ipv4, List<String> ipv6, Boolean cleanGateway,
        String source, List<StaticAddress> ips) {

    public InterfaceRequest(String iface, List<String> ipv4, List<String> ipv6, Boolean cleanGateway, String source) {
        this(iface, ipv4, ipv6, cleanGateway, source, List.of());
    }

    public boolean wantsV4() {
        return !ipv4.isEmpty();
    }

    public boolean wantsV6() {
        return !ipv6.isEmpty();
    }

    /** The same request for another interface, with these static addresses and clean-gateway default. */
    InterfaceRequest on(String otherIface, List<StaticAddress> staticIps, Boolean defaultCleanGateway) {
        return new InterfaceRequest(otherIface, ipv4, ipv6, cleanGateway != null ? cleanGateway : defaultCleanGateway,
                source, List.copyOf(staticIps));
    }
}
