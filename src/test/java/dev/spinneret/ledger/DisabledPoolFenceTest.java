package dev.spinneret.ledger;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.Reviews;
import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.KubernetesServer;
import io.quarkus.test.kubernetes.client.KubernetesTestServer;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A pool disabled while a reservation is being written: the writer reads the pool after its block write, finds
 * {@code spec.disable: true}, takes the new allocation back out of the block and answers Unavailable. The mock API
 * server shows the pool disabled to exactly that read.
 */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class DisabledPoolFenceTest {
    static final ObjectMapper M = new ObjectMapper();
    @Inject
    KubernetesClient client;
    @Inject
    PoolLedgerWriter writer;
    @KubernetesTestServer
    KubernetesServer server;

    @Test
    void anAllocationWrittenWhileThePoolWasDisabledIsTakenBack() throws Exception {
        await("the service ready").atMost(Duration.ofSeconds(90)).until(Reviews::ready);
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName("fenced").build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().subnet = "10.32.0.0/24";
        p.getSpec().ipVersion = 4L;
        p.getSpec().ips = List.of("10.32.0.10-10.32.0.13");
        client.resource(p).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> writer.reserve("fenced", "first", "default/first", null)
                .get(10, TimeUnit.SECONDS) instanceof LedgerOutcome.Reserved);

        // the next read of the pool (the writer's, after its block write) sees it disabled meanwhile
        ObjectNode disabled = M.valueToTree(client.resources(SpiderIPPool.class).withName("fenced").get());
        ((ObjectNode) disabled.get("spec")).put("disable", true);
        server.expect().get().withPath("/apis/spiderpool.spidernet.io/v2beta1/spiderippools/fenced")
                .andReturn(200, disabled.toString()).once();

        LedgerOutcome second = writer.reserve("fenced", "second", "default/second", null).get(30, TimeUnit.SECONDS);

        LedgerOutcome.Unavailable refused = assertInstanceOf(LedgerOutcome.Unavailable.class, second);
        assertEquals("spec.disable is true", refused.reason());
        SpinneretIPBlock block = client.resources(SpinneretIPBlock.class).list().getItems().stream()
                .filter(b -> b.getSpec().pool.equals("fenced")).findFirst().orElseThrow();
        assertEquals("10.32.0.10=first", block.getSpec().allocatedIPs, "the new allocation was taken back");
        client.resources(SpiderIPPool.class).withName("fenced").delete();
        client.resources(SpinneretIPBlock.class).withName(block.getMetadata().getName()).delete();
    }
}
