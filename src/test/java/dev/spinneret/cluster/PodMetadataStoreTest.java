package dev.spinneret.cluster;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

@Tag("pure")
class PodMetadataStoreTest {
    static final String ID = IpamAnnotations.RESERVATION_LABEL;
    static final String RESERVED = "{\"id\":\"r1\",\"interfaces\":[{\"interface\":\"eth0\",\"ipv4\":\"10.1.0.5/16\","
            + "\"ipv4Pool\":\"p1\"}]}";

    KubernetesMockServer server;
    KubernetesClient client;

    @BeforeEach
    void start() {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
    }

    @AfterEach
    void stop() {
        client.close();
        server.destroy();
    }

    static Pod full(String ns, String name, String id) {
        PodBuilder b = new PodBuilder().withNewMetadata().withNamespace(ns).withName(name).withUid("uid-" + name)
                .addToLabels("app", "web").addToLabels("pod-template-hash", "abc")
                .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{\"big\":true}")
                .addToAnnotations(IpamAnnotations.RESERVED_IPS, RESERVED)
                .addNewOwnerReference().withApiVersion("apps/v1").withKind("StatefulSet").withName("db")
                .withUid("sts-uid").withController(true).withBlockOwnerDeletion(true).endOwnerReference()
                .addToFinalizers("example.com/keep")
                .addNewManagedField().withManager("kubectl").withOperation("Update").endManagedField()
                .endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("c").withImage("nginx")
                .addNewEnv().withName("A").withValue("1").endEnv().endContainer().endSpec()
                .withNewStatus().withPhase("Running").withPodIP("10.1.0.5").endStatus();
        if (id != null) {
            b.editMetadata().addToLabels(ID, id).endMetadata();
        }
        return b.build();
    }

    @Test
    void keepsWhatTheReaperReadsAndDropsTheRest() {
        Pod in = full("team-a", "db-0", "r1");
        in.getMetadata().setResourceVersion("42");
        in.getMetadata().setDeletionTimestamp("2026-12-01T00:00:00Z");
        in.getMetadata().setDeletionGracePeriodSeconds(30L);
        Pod t = PodMetadataStore.trimmed(in);

        assertEquals("db-0", t.getMetadata().getName());
        assertEquals("team-a", t.getMetadata().getNamespace());
        assertEquals("uid-db-0", t.getMetadata().getUid());
        assertEquals("42", t.getMetadata().getResourceVersion());
        assertEquals("2026-12-01T00:00:00Z", t.getMetadata().getDeletionTimestamp());
        assertEquals(30L, t.getMetadata().getDeletionGracePeriodSeconds());
        assertEquals(Map.of(ID, "r1"), t.getMetadata().getLabels());
        assertEquals(Map.of(IpamAnnotations.RESERVED_IPS, RESERVED), t.getMetadata().getAnnotations());
        assertEquals(in.getMetadata().getOwnerReferences(), t.getMetadata().getOwnerReferences());
        assertNull(t.getSpec());
        assertNull(t.getStatus());
        assertNull(t.getMetadata().getManagedFields());
        assertNull(t.getMetadata().getFinalizers());
        // repeated across pods: one string each
        assertSame("team-a", t.getMetadata().getNamespace());
        assertSame("StatefulSet", t.getMetadata().getOwnerReferences().get(0).getKind());
    }

    @Test
    void podsWithoutOurLabelsOrOwnersTrimToBareMetadata() {
        Pod in = new PodBuilder().withNewMetadata().withNamespace("n").withName("p").addToLabels("app", "x")
                .endMetadata().build();
        Pod t = PodMetadataStore.trimmed(in);
        assertNull(t.getMetadata().getLabels());
        assertNull(t.getMetadata().getAnnotations());
        assertNull(t.getMetadata().getOwnerReferences());
        assertEquals("p", t.getMetadata().getName());
    }

    @Test
    void theInformerStoresTrimmedPodsIndexedByReservationAndFollowsChanges() {
        Pod created = client.pods().inNamespace("team-a").resource(full("team-a", "db-0", "r1")).create();
        client.pods().inNamespace("team-a").resource(full("team-a", "plain", null)).create();
        List<String> events = new CopyOnWriteArrayList<>();
        KubernetesClient lean = new KubernetesClientBuilder().withConfig(client.getConfiguration())
                .withKubernetesSerialization(PodWatchSerialization.create()).build();
        SharedIndexInformer<Pod> informer = ClusterCache.podInformer(lean);
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod p) {
                events.add("add " + p.getMetadata().getName());
            }

            @Override
            public void onUpdate(Pod old, Pod p) {
                events.add("update " + p.getMetadata().getName() + " old-spec=" + old.getSpec() + " annotations="
                        + p.getMetadata().getAnnotations().get("note"));
            }

            @Override
            public void onDelete(Pod p, boolean unknown) {
                // the reaper releases without asking the API server when a watched deletion still carries the label
                events.add("delete " + p.getMetadata().getName() + " " + p.getMetadata().getLabels().get(ID)
                        + (unknown ? " unknown" : ""));
            }
        });
        try {
            informer.start();
            await().atMost(Duration.ofSeconds(10)).until(informer::hasSynced);
            assertEquals(List.of("team-a/db-0"), informer.getStore().listKeys());
            Pod cached = informer.getStore().getByKey("team-a/db-0");
            assertNull(cached.getSpec());
            assertNull(cached.getStatus());
            assertEquals(created.getMetadata().getUid(), cached.getMetadata().getUid());
            assertEquals(created.getMetadata().getResourceVersion(), cached.getMetadata().getResourceVersion());
            assertEquals(Map.of(ID, "r1"), cached.getMetadata().getLabels());
            assertEquals(List.of(cached), informer.getIndexer().byIndex(ClusterCache.BY_RESERVATION, "r1"));
            await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("add db-0"));

            // a change is an update (the stored resourceVersion is kept), the old object is the trimmed one
            client.pods().inNamespace("team-a").withName("db-0")
                    .edit(p -> new PodBuilder(p).editMetadata().addToAnnotations("note", "x").endMetadata().build());
            await().atMost(Duration.ofSeconds(10)).untilAsserted(
                    () -> assertTrue(events.contains("update db-0 old-spec=null annotations=x"), events::toString));
            assertNull(informer.getStore().getByKey("team-a/db-0").getMetadata().getAnnotations().get("note"));

            // the reservation moves to another id: the index follows
            client.pods().inNamespace("team-a").withName("db-0")
                    .edit(p -> new PodBuilder(p).editMetadata().addToLabels(ID, "r2").endMetadata().build());
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> informer.getIndexer().byIndex(ClusterCache.BY_RESERVATION, "r2").size() == 1);
            assertTrue(informer.getIndexer().byIndex(ClusterCache.BY_RESERVATION, "r1").isEmpty());

            // the pod has a finalizer: deletion first marks it (the reaper schedules on deletionTimestamp)
            client.pods().inNamespace("team-a").withName("db-0").delete();
            await().atMost(Duration.ofSeconds(10)).until(
                    () -> informer.getStore().getByKey("team-a/db-0").getMetadata().getDeletionTimestamp() != null);
            client.pods().inNamespace("team-a").withName("db-0")
                    .edit(p -> new PodBuilder(p).editMetadata().withFinalizers(List.of()).endMetadata().build());
            await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("delete db-0 r2"));
            assertTrue(informer.getIndexer().byIndex(ClusterCache.BY_RESERVATION, "r2").isEmpty());
            assertEquals(0, informer.getStore().list().size());
        } finally {
            informer.stop();
            lean.close();
        }
    }

    @Test
    void theInformersSerializationSkipsSpecStatusAndManagedFieldsAndKeepsTheRest() {
        Pod in = full("team-a", "db-0", "r1");
        Pod out = PodWatchSerialization.create().unmarshal(client.getKubernetesSerialization().asJson(in), Pod.class);
        assertNull(out.getSpec());
        assertNull(out.getStatus());
        assertTrue(out.getMetadata().getManagedFields().isEmpty()); // the model starts every list empty
        assertTrue(out.getAdditionalProperties().isEmpty(), out.getAdditionalProperties()::toString);
        assertEquals(in.getMetadata().getLabels(), out.getMetadata().getLabels());
        assertEquals(in.getMetadata().getAnnotations(), out.getMetadata().getAnnotations());
        assertEquals(in.getMetadata().getOwnerReferences(), out.getMetadata().getOwnerReferences());
        assertEquals(in.getMetadata().getFinalizers(), out.getMetadata().getFinalizers());
        // the client's own serialization still reads whole pods
        assertEquals("node-a", client.getKubernetesSerialization()
                .unmarshal(client.getKubernetesSerialization().asJson(in), Pod.class).getSpec().getNodeName());
    }
}
