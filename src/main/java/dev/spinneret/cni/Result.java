package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Renders the IPAM result for one interface. 1.0.0: {@code ips[]} of {address, gateway}; 0.3.1/0.4.0 add
 * {@code "version":"4"|"6"}. {@code interface} (an index into {@code interfaces}) is omitted: an IPAM plugin creates no
 * interfaces, the calling plugin fills both in.
 */
public final class Result {
    private Result() {
    }

    public static Map<String, Object> build(String cniVersion, Reservation.Nic nic, boolean confCleanGateway, Map<String, Object> dns) {
        boolean legacy = !cniVersion.equals("1.0.0");
        List<Object> ips = new ArrayList<>();
        List<Object> routes = new ArrayList<>();
        Set<String> routeDsts = new HashSet<>();
        for (Reservation.Route r : nic.routes) routeDsts.add(r.dst);
        boolean clean = nic.cleanGateway || confCleanGateway;
        if (nic.ipv4 != null) {
            ips.add(Json.obj("version", legacy ? "4" : null, "address", nic.ipv4, "gateway", nic.ipv4Gateway));
            if (!clean && nic.ipv4Gateway != null && !routeDsts.contains("0.0.0.0/0")) {
                routes.add(Json.obj("dst", "0.0.0.0/0", "gw", nic.ipv4Gateway));
            }
        }
        if (nic.ipv6 != null) {
            ips.add(Json.obj("version", legacy ? "6" : null, "address", nic.ipv6, "gateway", nic.ipv6Gateway));
            if (!clean && nic.ipv6Gateway != null && !routeDsts.contains("::/0")) {
                routes.add(Json.obj("dst", "::/0", "gw", nic.ipv6Gateway));
            }
        }
        for (Reservation.Route r : nic.routes) routes.add(Json.obj("dst", r.dst, "gw", r.gw));
        Map<String, Object> out = Json.obj("cniVersion", cniVersion, "ips", ips);
        if (!routes.isEmpty()) out.put("routes", routes);
        if (dns != null) out.put("dns", dns);
        return out;
    }
}
