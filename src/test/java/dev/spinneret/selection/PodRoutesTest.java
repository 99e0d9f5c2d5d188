package dev.spinneret.selection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The pod's own routes ({@code ipam.spidernet.io/routes}): read strictly, each put on the interface it can use. */
@Tag("pure")
class PodRoutesTest {

    static List<PodRoutes.Route> parse(String value) {
        return PodRoutes.parse(Map.of(PodRoutes.ANNOTATION, value));
    }

    static void refused(String value, String fragment) {
        var e = assertThrows(AnnotationException.class, () -> parse(value));
        assertTrue(e.getMessage().contains(fragment), e.getMessage());
    }

    @Test
    void routesAreReadInOrderAndCanonical() {
        assertEquals(List.of(), PodRoutes.parse(Map.of()));
        var r = parse("[{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.1\"},{\"dst\":\"fd00:1::/64\",\"gw\":\"fd00::0001\"}]");
        assertEquals(2, r.size());
        assertEquals(Cidr.parse("10.0.0.0/16"), r.get(0).dst());
        assertEquals("fd00::1", r.get(1).gw().toString());
    }

    @Test
    void malformedRoutesAreRefusedNamingTheItem() {
        refused("{\"dst\":\"10.0.0.0/16\"}", "expected JSON like");
        refused("[{\"dst\":\"10.0.0.0/16\"}]", "[0]: dst and gw are both required");
        refused("[{\"dst\":\"10.0.0.0/16\",\"gw\":1}]", "[0]: dst and gw are both required");
        refused("[{\"dst\":\"10.0.0.1/16\",\"gw\":\"10.6.0.1\"}]", "[0].dst");
        refused("[{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0\"}]", "[0].gw");
        refused("[{\"dst\":\"10.0.0.0/16\",\"gw\":\"fd00::1\"}]", "different IP families");
        refused("[{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.1\"},{\"dst\":\"10.0.0.0/16\",\"gw\":\"10.6.0.2\"}]",
                "[1].dst: 10.0.0.0/16 is listed twice");
        StringBuilder many = new StringBuilder("[");
        for (int i = 0; i < PodRoutes.MAX_ROUTES + 1; i++) {
            many.append(i == 0 ? "" : ",").append("{\"dst\":\"10.").append(i).append(".0.0/16\",\"gw\":\"10.6.0.1\"}");
        }
        refused(many.append("]").toString(), "at most " + PodRoutes.MAX_ROUTES);
    }

    @Test
    void eachRouteGoesToTheInterfaceWhoseSubnetHoldsItsGateway() {
        Map<String, List<Cidr>> subnets = new LinkedHashMap<>();
        subnets.put("eth0", List.of(Cidr.parse("10.6.0.0/16")));
        subnets.put("net1", List.of(Cidr.parse("172.18.0.0/24"), Cidr.parse("fd00::/64")));
        var routes = parse("[{\"dst\":\"10.0.0.0/8\",\"gw\":\"172.18.0.1\"},{\"dst\":\"192.168.0.0/16\",\"gw\":"
                + "\"10.6.0.1\"},{\"dst\":\"fd01::/64\",\"gw\":\"fd00::1\"}]");
        var byIface = PodRoutes.assign(routes, subnets, Map.of());
        assertEquals(List.of(routes.get(1)), byIface.get("eth0"));
        assertEquals(List.of(routes.get(0), routes.get(2)), byIface.get("net1"));
        assertEquals(IpAddress.parse("172.18.0.1"), byIface.get("net1").get(0).gw());
    }

    @Test
    void aGatewayNoInterfaceReachesOrADestinationThePoolRoutesIsRefused() {
        Map<String, List<Cidr>> subnets = Map.of("eth0", List.of(Cidr.parse("10.6.0.0/16")));
        var far = parse("[{\"dst\":\"10.0.0.0/8\",\"gw\":\"192.168.9.1\"}]");
        var e = assertThrows(AnnotationException.class, () -> PodRoutes.assign(far, subnets, Map.of()));
        assertTrue(e.getMessage().contains("[0].gw: 192.168.9.1 is in no subnet of the pod's interfaces (eth0:"
                + " 10.6.0.0/16)"), e.getMessage());
        var twice = parse("[{\"dst\":\"10.0.0.0/8\",\"gw\":\"10.6.0.1\"}]");
        var e2 = assertThrows(AnnotationException.class, () -> PodRoutes.assign(twice, subnets,
                Map.of("eth0", Set.of(Cidr.parse("10.0.0.0/8")))));
        assertTrue(e2.getMessage().contains("already routed on eth0 by its pool's spec.routes"), e2.getMessage());
    }
}
