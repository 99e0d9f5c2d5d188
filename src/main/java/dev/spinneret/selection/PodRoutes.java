package dev.spinneret.selection;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFormatException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The pod's own routes, {@code ipam.spidernet.io/routes: [{"dst":"10.0.0.0/16","gw":"10.6.0.1"}]} as in Spiderpool:
 * read strictly before anything is reserved, then each put on the interface whose subnet holds its gateway once the
 * pod's addresses are known. A route only shapes the pod's own network namespace; what it may not do is be ambiguous
 * (a destination routed twice on one pod, or twice with a pool's route of the same interface) or name a gateway
 * none of the pod's interfaces can reach — both refused, naming the route.
 */
public final class PodRoutes {
    public static final String ANNOTATION = "ipam.spidernet.io/routes";
    static final String SHAPE = "[{\"dst\":\"10.0.0.0/16\",\"gw\":\"192.168.1.1\"}]";
    /** Routes one pod may ask for. */
    public static final int MAX_ROUTES = 64;

    /** One route as asked: destination and gateway, canonical. */
    public record Route(Cidr dst, IpAddress gw) {
    }

    private PodRoutes() {
    }

    /**
     * The routes of the pod's annotation, in the order written; empty when it has none.
     *
     * @throws AnnotationException naming the item and what is wrong with it
     */
    public static List<Route> parse(Map<String, String> podAnnotations) {
        String value = podAnnotations == null ? null : podAnnotations.get(ANNOTATION);
        if (value == null) {
            return List.of();
        }
        JsonNode node = IpamAnnotations.read(ANNOTATION, value, SHAPE);
        if (!node.isArray()) {
            throw IpamAnnotations.shape(ANNOTATION, value, SHAPE);
        }
        AnnotationLimits.checkCount(ANNOTATION, "routes", node.size(), MAX_ROUTES);
        List<Route> out = new ArrayList<>();
        Set<Cidr> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String at = "annotation " + ANNOTATION + " [" + i + "]";
            if (!item.isObject() || !item.path("dst").isTextual() || !item.path("gw").isTextual()) {
                throw new AnnotationException(at + ": dst and gw are both required strings; expected JSON like "
                        + SHAPE);
            }
            Cidr dst;
            IpAddress gw;
            try {
                dst = Cidr.parseCanonical(item.get("dst").asText().trim());
            } catch (IpFormatException e) {
                throw new AnnotationException(at + ".dst: " + e.getMessage());
            }
            try {
                gw = IpAddress.parse(item.get("gw").asText().trim());
            } catch (IllegalArgumentException e) {
                throw new AnnotationException(at + ".gw: " + e.getMessage());
            }
            if (gw.family() != dst.family()) {
                throw new AnnotationException(at + ": gw " + gw + " and dst " + dst + " are of different IP families");
            }
            if (!seen.add(dst)) {
                throw new AnnotationException(at + ".dst: " + dst + " is listed twice");
            }
            out.add(new Route(dst, gw));
        }
        return out;
    }

    /**
     * Puts each route on the interface one of whose subnets holds its gateway (the first such interface in
     * {@code subnets}' order).
     *
     * @param subnets interface → the subnets of the addresses it got
     * @param poolRoutes interface → the destinations its pools already route
     * @return interface → its routes, in the order asked
     * @throws AnnotationException for a gateway no interface can reach, or a destination a pool already routes there
     */
    public static Map<String, List<Route>> assign(List<Route> routes, Map<String, List<Cidr>> subnets,
            Map<String, Set<Cidr>> poolRoutes) {
        Map<String, List<Route>> out = new LinkedHashMap<>();
        for (int i = 0; i < routes.size(); i++) {
            Route r = routes.get(i);
            String iface = null;
            for (var e : subnets.entrySet()) {
                if (e.getValue().stream().anyMatch(c -> c.contains(r.gw()))) {
                    iface = e.getKey();
                    break;
                }
            }
            String at = "annotation " + ANNOTATION + " [" + i + "]";
            if (iface == null) {
                throw new AnnotationException(at + ".gw: " + r.gw() + " is in no subnet of the pod's interfaces ("
                        + describe(subnets) + "); a route's gateway must be reachable from one of them");
            }
            if (poolRoutes.getOrDefault(iface, Set.of()).contains(r.dst())) {
                throw new AnnotationException(at + ".dst: " + r.dst() + " is already routed on " + iface
                        + " by its pool's spec.routes; remove it from the annotation");
            }
            out.computeIfAbsent(iface, k -> new ArrayList<>()).add(r);
        }
        return out;
    }

    private static String describe(Map<String, List<Cidr>> subnets) {
        List<String> parts = new ArrayList<>();
        subnets.forEach((iface, cidrs) -> parts.add(iface + ": " + String.join(", ",
                cidrs.stream().map(Cidr::toString).toList())));
        return parts.isEmpty() ? "none" : String.join("; ", parts);
    }
}
