package dev.spinneret.ledger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.Reviews;
import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * A block write that loses to another writer (409) is re-planned from the block as it is now, not retried as planned
 * (the promise behind "no address twice" with two replicas). The mock API server answers the writer's update of the
 * block with 409 once, and then shows the block as another writer left it, holding the very address the writer
 * had planned.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class BlockConflictTest {
    static final ObjectMapper M = new ObjectMapper();
    @Inject
    KubernetesClient client;
    @Inject
    PoolLedgerWriter writer;
    @Inject
    MeterRegistry meters;
    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void aBlockWriteRefusedWith409IsPlannedAgainFromTheFreshBlock() throws Exception {
        await("the service ready").atMost(Duration.ofSeconds(90)).until(Reviews::ready);
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("conflict").build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().subnet = "10.31.0.0/24";
        p.getSpec().ipVersion = 4L;
        p.getSpec().ips = List.of("10.31.0.10-10.31.0.13");
        client.resource(p).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.reserve("conflict", "first", "default/first", null)
                .get(10, TimeUnit.SECONDS) instanceof LedgerOutcome.Reserved);
        SpinneretIPBlock block = client.resources(SpinneretIPBlock.class).list().getItems().stream()
                .filter(b -> b.getSpec().pool.equals("conflict")).findFirst().orElseThrow();
        String name = block.getMetadata().getName();
        assertEquals("10.31.0.10=first", block.getSpec().allocatedIPs);

        // Another writer (a second replica) takes 10.31.0.11 and .12 just before this writer's update of the block
        // arrives: the API server refuses the update (409), and the block as the other writer left it is what the
        // writer reads next. The writer's second update is then answered as stored.
        String path = "/apis/ipam.spinneret.dev/v1alpha1/spinneretipblocks/" + name;
        List<JsonNode> updates = new CopyOnWriteArrayList<>();
        server.expect().put().withPath(path).andReply(409, request -> {
            updates.add(json(request.getUtf8Body()));
            return Map.of("kind", "Status", "apiVersion", "v1", "status", "Failure", "reason", "Conflict", "code", 409,
                    "message", "the object has been modified; please apply your changes to the latest version");
        }).once();
        ObjectNode theirs = M.valueToTree(block);
        ((ObjectNode) theirs.get("metadata")).put("resourceVersion", "900");
        ((ObjectNode) theirs.get("spec")).put("allocatedIPs", "10.31.0.10=first,.11=othera,.12=otherb")
                .put("allocatedIPCount", 3).set("holders", M.valueToTree(Map.of("first", "default/first",
                        "othera", "default/othera", "otherb", "default/otherb")));
        server.expect().get().withPath(path).andReturn(200, theirs.toString()).once();
        server.expect().put().withPath(path).andReply(200, request -> {
            ObjectNode stored = (ObjectNode) json(request.getUtf8Body());
            updates.add(stored.deepCopy());
            ((ObjectNode) stored.get("metadata")).put("resourceVersion", "901");
            return stored.toString();
        }).once();
        double conflictsBefore = conflicts();

        LedgerOutcome second = writer.reserve("conflict", "second", "default/second", null).get(30, TimeUnit.SECONDS);

        assertEquals(2, updates.size(), "the refused update and the one planned again");
        assertEquals("10.31.0.10=first,.11=second", updates.get(0).at("/spec/allocatedIPs").asText(),
                "first planned from the view before the other writer");
        assertEquals("10.31.0.10=first,.11=othera,.12=otherb,.13=second", updates.get(1).at("/spec/allocatedIPs").asText(),
                "planned again around the other writer's addresses");
        assertEquals("900", updates.get(1).at("/metadata/resourceVersion").asText(), "on the block as re-read");
        assertEquals("default/otherb", updates.get(1).at("/spec/holders/otherb").asText(),
                "the other writer's bindings are kept");
        LedgerOutcome.Reserved reserved = assertInstanceOf(LedgerOutcome.Reserved.class, second);
        assertEquals(IpAddress.parse("10.31.0.13"), reserved.address());
        assertEquals(conflictsBefore + 1, conflicts(), "counted in spinneret_ledger_conflicts_total");
        client.resources(SpiderIPPool.class).withName("conflict").delete();
        client.resources(SpinneretIPBlock.class).withName(name).delete();
    }

    static JsonNode json(String s) {
        try {
            return M.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + s, e);
        }
    }

    double conflicts() {
        Counter c = meters.find("spinneret.ledger.conflicts").tag("pool", "conflict").counter();
        return c == null ? 0 : c.count();
    }
}
