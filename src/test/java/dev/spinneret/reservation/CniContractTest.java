package dev.spinneret.reservation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.Route;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.InterfaceRequest;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The service's side of the contract with the Go CNI plugin: the same fixture files (src/test/resources/contract/)
 * that the plugin's Go tests read. The service writes exactly the annotation the plugin parses, every field of it
 * survives the service's model, and the service reads the SpiderEndpoint the plugin applies.
 */
@Tag("pure")
class CniContractTest {
    static final Path CONTRACT = Path.of("src/test/resources/contract");
    final ObjectMapper mapper = new ObjectMapper();

    JsonNode fixture(String file) throws Exception {
        return mapper.readTree(Files.readString(CONTRACT.resolve(file)));
    }

    JsonNode validCase(String name) throws Exception {
        for (JsonNode c : fixture("reserved-ips.json").get("valid")) {
            if (c.get("name").asText().equals(name)) {
                return c.get("annotation");
            }
        }
        throw new AssertionError("no fixture " + name);
    }

    static SpiderIPPool pool(String name, String uid, String subnet, String gateway, List<Route> routes) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).withUid(uid).build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().subnet = subnet;
        p.getSpec().gateway = gateway;
        p.getSpec().routes = routes;
        return p;
    }

    @Test
    void theServiceWritesTheAnnotationOfTheFixture() throws Exception {
        SpiderIPPool v4 = pool("nginx-v4-ippool", "7f3e2a10-5b1c-4c8e-9d2f-0a1b2c3d4e01", "10.244.0.0/16", "10.244.0.1", List.of(new Route("10.10.0.0/16", "10.244.0.1")));
        SpiderIPPool v6 = pool("v6-pool", "7f3e2a10-5b1c-4c8e-9d2f-0a1b2c3d4e02", "fd00::/64", "fd00::1", null);
        SpiderIPPool net1 = pool("macvlan-ens224", "7f3e2a10-5b1c-4c8e-9d2f-0a1b2c3d4e03", "172.18.40.0/24", "172.18.40.1", null);
        List<InterfaceRequest> requests = List.of(
                new InterfaceRequest("eth0", List.of("nginx-v4-ippool"), List.of("v6-pool"), false, "test"),
                new InterfaceRequest("net1", List.of("macvlan-ens224"), List.of(), true, "test"));
        List<PodReservations.Slot> slots = List.of(
                new PodReservations.Slot("eth0", IpFamily.V4, "nginx-v4-ippool", IpAddress.parse("10.244.120.10"), v4),
                new PodReservations.Slot("eth0", IpFamily.V6, "v6-pool", IpAddress.parse("fd00::a"), v6),
                new PodReservations.Slot("net1", IpFamily.V4, "macvlan-ens224", IpAddress.parse("172.18.40.7"), net1));
        Owner owner = new Owner("apps/v1", "Deployment", "default", "nginx-m", "uid");
        assertEquals(validCase("dual-stack-two-nics"), mapper.readTree(
                PodReservations.annotation("k2x9a0b1qz3m", owner, requests, slots).toJson()));
    }

    @Test
    void everyFieldOfEveryValidFixtureSurvivesTheServicesModel() throws Exception {
        for (JsonNode c : fixture("reserved-ips.json").get("valid")) {
            for (JsonNode entry : c.get("annotation").get("interfaces")) {
                IPAllocationDetail d = mapper.treeToValue(entry, IPAllocationDetail.class);
                assertEquals(entry, mapper.valueToTree(d), c.get("name").asText());
            }
        }
    }

    @Test
    void theServiceReadsTheEndpointThePluginApplies() throws Exception {
        var tree = (com.fasterxml.jackson.databind.node.ObjectNode) fixture("spiderendpoint-applied.json");
        tree.remove("about");
        String text = mapper.writeValueAsString(tree);
        SpiderEndpoint se = new KubernetesSerialization().unmarshal(text, SpiderEndpoint.class);
        var cur = se.getStatus().current;
        assertEquals("k2x9a0b1qz3m", cur.reservationID);
        assertEquals("6b0c4f9e-1d2a-4e9b-9a57-0f4c7d2e8a11", cur.uid);
        assertEquals("worker-1", cur.node);
        assertFalse(cur.containerID.isEmpty());
        assertEquals(fixture("spiderendpoint-applied.json").get("status"), mapper.valueToTree(se.getStatus()),
                "status.current round-trips through the service's model");
        assertEquals("k2x9a0b1qz3m", se.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id"));
        // a StatefulSet pod's next admission reads its addresses from here
        Map<String, PodReservations.Prior> prior = PodReservations.prior(se);
        assertEquals(new PodReservations.Prior("nginx-v4-ippool", IpAddress.parse("10.244.120.10"), "v6-pool",
                IpAddress.parse("fd00::a")), prior.get("eth0"));
        assertEquals("macvlan-ens224", prior.get("net1").v4Pool());
        // the status the plugin applies holds the annotation's interfaces as written
        assertEquals(validCase("dual-stack-two-nics").get("interfaces"), fixture("spiderendpoint-applied.json")
                .get("status").get("current").get("ips"));
    }
}
