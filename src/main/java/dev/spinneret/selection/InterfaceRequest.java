package dev.spinneret.selection;

import java.util.List;

/**
 * What one pod interface asks for: pool names (or patterns) per family, in the order the user wrote them, and
 * where the request came from (for error messages: "pod annotation ipam.spidernet.io/ippools").
 */
public record InterfaceRequest(String iface, List<String> ipv4, List<String> ipv6, Boolean cleanGateway,
        String source) {

    public boolean wantsV4() {
        return !ipv4.isEmpty();
    }

    public boolean wantsV6() {
        return !ipv6.isEmpty();
    }
}
