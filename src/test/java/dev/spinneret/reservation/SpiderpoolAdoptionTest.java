package dev.spinneret.reservation;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.adopt.SpiderpoolAdoption;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.PodIPAllocation;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderEndpointStatus;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.ledger.Ledgers;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.cluster.SpiderpoolPresence;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ledger.SpiderpoolLedger;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSetBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Adopting what a stopped Spiderpool left, against the fabric8 mock API server: pools whose
 * {@code status.allocatedIPs} holds Spiderpool's JSON (in v1.2.1's shape), its SpiderEndpoints (a Deployment pod's,
 * a StatefulSet pod's, with Spiderpool's finalizer) and the running pods. Each test uses its own pool and pods.
 */
@Tag("webhook")
@QuarkusTest
@WithKubernetesTestServer(crud = true)
class SpiderpoolAdoptionTest {
    static final String NS = "default";

    @Inject
    KubernetesClient client;
    @Inject
    SpiderpoolAdoption adoption;
    @Inject
    SpiderpoolPresence presence;
    @Inject
    PoolBlocks blocks;
    @Inject
    dev.spinneret.ledger.InlineLedgerMigration migration;
    @Inject
    LateReservations late;
    @Inject
    ObjectMapper mapper;
    @Inject
    dev.spinneret.cluster.ClusterCache cache;

    static String record(String pod, String uid) {
        return "{\"pod\":\"" + NS + "/" + pod + "\",\"podUid\":\"" + uid + "\"}";
    }

    SpiderIPPool pool(String name, String subnet, String ips, String allocatedIPs) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).withFinalizers("spiderpool.spidernet.io").build());
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        s.subnet = subnet;
        s.ipVersion = 4L;
        s.ips = List.of(ips);
        s.gateway = subnet.replace("0.0/16", "0.1");
        p.setSpec(s);
        SpiderIPPoolStatus st = new SpiderIPPoolStatus();
        st.allocatedIPs = allocatedIPs;
        st.allocatedIPCount = (long) (allocatedIPs.split("podUid").length - 1);
        st.totalIPCount = 100L;
        SpiderIPPool created = client.resource(p).create();
        created.setStatus(st); // status subresource: written as Spiderpool's agent does
        created = client.resource(created).updateStatus();
        // adoption passes go over the pools the informer has seen
        await().atMost(Duration.ofSeconds(10)).until(() -> cache.pool(name).map(c -> c.getStatus() != null)
                .orElse(false));
        return created;
    }

    /** Creates the pod; returns the UID the API server gave it. */
    String pod(String name, String poolName) {
        return pod(name, poolName, Map.of());
    }

    /** Creates the pod with {@code labels}; returns the UID the API server gave it. */
    String pod(String name, String poolName, Map<String, String> labels) {
        Pod p = new PodBuilder().withNewMetadata().withName(name).withNamespace(NS).withLabels(labels)
                .withAnnotations(Map.of(IpamAnnotations.IPPOOL, "{\"ipv4\":[\"" + poolName + "\"]}")).endMetadata()
                .withNewSpec().withNodeName("node-a").addNewContainer().withName("c").withImage("nginx").endContainer()
                .endSpec().build();
        return client.resource(p).create().getMetadata().getUid();
    }

    /** The SpiderEndpoint as Spiderpool's agent writes it (finalizer, pod UID, no Spinneret reservation). */
    SpiderEndpoint endpoint(String name, String uid, String poolName, String address, String stsName) {
        SpiderEndpoint se = new SpiderEndpoint();
        se.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS)
                .withFinalizers("spiderpool.spidernet.io").build());
        SpiderEndpointStatus st = new SpiderEndpointStatus();
        st.current = new PodIPAllocation();
        st.current.uid = uid;
        st.current.node = "node-a";
        IPAllocationDetail d = new IPAllocationDetail();
        d.iface = "eth0";
        d.ipv4 = address + "/16";
        d.ipv4Pool = poolName;
        d.ipv4Gateway = address.replaceAll("\\.\\d+\\.\\d+$", ".0.1");
        d.vlan = 0;
        d.cleanGateway = false;
        st.current.ips = List.of(d);
        st.ownerControllerType = stsName == null ? "Deployment" : "StatefulSet";
        st.ownerControllerName = stsName == null ? "app" : stsName;
        SpiderEndpoint created = client.resource(se).create();
        // the mock keeps no status on create (the real API server does: no status subresource); written after
        created.setStatus(st);
        client.resource(created).updateStatus();
        SpiderEndpoint stored = client.resources(SpiderEndpoint.class).inNamespace(NS).withName(name).get();
        assertNotNull(stored.getStatus());
        assertEquals(uid, stored.getStatus().current.uid);
        return stored;
    }

    /** A running Spiderpool agent pod (its chart's label): nothing is adopted while it exists. */
    Pod spiderpoolAgent() {
        Pod agent = client.resource(new PodBuilder().withNewMetadata().withName("spiderpool-agent-x7k2p")
                .withNamespace("kube-system").withLabels(Map.of("app.kubernetes.io/name", "spiderpool"))
                .endMetadata().withNewSpec().addNewContainer().withName("a").withImage("agent").endContainer()
                .endSpec().build()).create();
        presence.recheckNow();
        return agent;
    }

    void uninstall(Pod agent) {
        client.resource(agent).withGracePeriod(0).delete();
        await().atMost(Duration.ofSeconds(10)).until(() -> client.pods().inNamespace("kube-system")
                .withName(agent.getMetadata().getName()).get() == null);
        presence.recheckNow();
    }

    SpiderIPPool fresh(String name) {
        return client.resources(SpiderIPPool.class).withName(name).get();
    }

    String allocated(String name) {
        return fresh(name).getStatus().allocatedIPs;
    }

    void awaitEndpointCached(String name) {
        await().atMost(Duration.ofSeconds(10))
                .until(() -> adoption.servedBySpiderpool(client.pods().inNamespace(NS).withName(name).get()));
    }

    /**
     * One late-reservation pass for {@code pod}, as the worker makes it. The worker itself may be writing the same pod
     * at that moment (its informer saw the pod): then this pass's patch gets a 409 and the next pass finds the pod
     * reserved, as in production.
     */
    void reserveLate(String pod) {
        for (int attempt = 1;; attempt++) {
            try {
                late.reserveFor(NS, pod);
                return;
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
                if (e.getCode() != 409 || attempt == 5) {
                    throw e;
                }
            }
        }
    }

    JsonNode reservation(String pod) throws Exception {
        Pod p = client.pods().inNamespace(NS).withName(pod).get();
        String a = p.getMetadata().getAnnotations().get(IpamAnnotations.RESERVED_IPS);
        return a == null ? null : mapper.readTree(a);
    }

    @Test
    void runningPodsKeepTheirAddressesAndARecordOfAGoneOrLaterPodReachesNoPod() throws Exception {
        String ugone = "aaaaaaaa-0000-4000-8000-000000000003";
        String uold = "aaaaaaaa-0000-4000-8000-000000000004";
        String ua = pod("ad-run-a", "ad-main");
        String ub = pod("ad-run-b", "ad-main");
        pod("ad-later", "ad-main"); // a later pod of a name Spiderpool recorded with another UID (uold)
        String usts = pod("web-0", "ad-main");
        String sts = client.apps().statefulSets().inNamespace(NS).resource(new StatefulSetBuilder().withNewMetadata()
                .withName("web").withNamespace(NS).endMetadata().withNewSpec().withReplicas(1).endSpec().build())
                .create().getMetadata().getUid();
        endpoint("ad-run-a", ua, "ad-main", "10.70.0.10", null);
        endpoint("ad-run-b", ub, "ad-main", "10.70.0.11", null);
        endpoint("web-0", usts, "ad-main", "10.70.0.14", "web");
        // Go map order, as Spiderpool's agent writes it
        String json = "{\"10.70.0.14\":" + record("web-0", usts) + ",\"10.70.0.11\":" + record("ad-run-b", ub)
                + ",\"10.70.0.10\":" + record("ad-run-a", ua) + ",\"10.70.0.12\":" + record("ad-gone", ugone)
                + ",\"10.70.0.13\":" + record("ad-later", uold) + "}";
        Pod agent = spiderpoolAgent();
        try {
            pool("ad-main", "10.70.0.0/16", "10.70.0.10-10.70.0.30", json);
            // before adoption, a running Spiderpool pod is not given a new reservation: it waits
            awaitEndpointCached("ad-run-a");
            late.reserveFor(NS, "ad-run-a");
            assertNull(reservation("ad-run-a"), "no reservation before its pool is adopted");
            assertEquals(json, allocated("ad-main"));
        } finally {
            uninstall(agent);
        }
        adoption.pass();
        assertEquals(PoolBlocks.MARKER, allocated("ad-main"));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace("default").list()
                .getItems().stream().anyMatch(ev -> "Adopted".equals(ev.getReason())
                        && "ad-main".equals(ev.getInvolvedObject().getName())
                        && ev.getMessage().contains("5 address(es) of 5 pod(s)")));
        AllocationLedger l = AllocationLedger.decode(IpFamily.V4, Ledgers.of(client, "ad-main"));
        Map<String, String> holders = Ledgers.holders(client, "ad-main");
        String ra = SpiderpoolLedger.reservationId(ua);
        String rold = SpiderpoolLedger.reservationId(uold);
        assertEquals(5, l.size());
        assertEquals(ra, l.owner(IpAddress.parse("10.70.0.10")).orElseThrow());
        assertEquals(rold, l.owner(IpAddress.parse("10.70.0.13")).orElseThrow());
        assertEquals(NS + "/ad-run-a", holders.get(ra));
        assertEquals(NS + "/ad-gone", holders.get(SpiderpoolLedger.reservationId(ugone)));
        assertEquals(NS + "/ad-later", holders.get(rold));

        // endpoints taken over: the reservation of their pod UID, Spiderpool's finalizer gone, the StatefulSet's
        // endpoint owned by the StatefulSet (how Spinneret keeps it for the next pod of that ordinal)
        SpiderEndpoint sea = client.resources(SpiderEndpoint.class).inNamespace(NS).withName("ad-run-a").get();
        assertEquals(ra, sea.getStatus().current.reservationID);
        assertEquals(ra, sea.getMetadata().getLabels().get(IpamAnnotations.RESERVATION_LABEL));
        assertFalse(sea.getMetadata().getFinalizers().contains("spiderpool.spidernet.io"));
        SpiderEndpoint sests = client.resources(SpiderEndpoint.class).inNamespace(NS).withName("web-0").get();
        assertEquals(SpiderpoolLedger.reservationId(usts), sests.getStatus().current.reservationID);
        assertTrue(sests.getMetadata().getOwnerReferences().stream().anyMatch(r -> sts.equals(r.getUid())),
                sests.getMetadata().toString());

        // the running pods get their own addresses as their reservation (the CNI plugin's ledger check passes)
        for (String[] p : new String[][] { { "ad-run-a", "10.70.0.10/16", ua }, { "ad-run-b", "10.70.0.11/16", ub },
                { "web-0", "10.70.0.14/16", usts } }) {
            reserveLate(p[0]);
            JsonNode r = reservation(p[0]);
            assertNotNull(r, p[0]);
            assertEquals(SpiderpoolLedger.reservationId(p[2]), r.get("id").asText());
            assertEquals(p[1], r.get("interfaces").get(0).get("ipv4").asText());
            assertEquals("ad-main", r.get("interfaces").get(0).get("ipv4Pool").asText());
            assertEquals(fresh("ad-main").getMetadata().getUid(), r.get("poolUIDs").get("ad-main").asText());
            assertEquals(r.get("id").asText(), client.pods().inNamespace(NS).withName(p[0]).get().getMetadata()
                    .getLabels().get(IpamAnnotations.RESERVATION_LABEL));
        }
        // the later pod of a recorded name is not given that record's address: a new one, never one held
        reserveLate("ad-later");
        JsonNode later = reservation("ad-later");
        assertNotNull(later);
        String laterIp = later.get("interfaces").get(0).get("ipv4").asText().replace("/16", "");
        Set<String> held = Set.of("10.70.0.10", "10.70.0.11", "10.70.0.12", "10.70.0.13", "10.70.0.14");
        assertFalse(held.contains(laterIp), laterIp);
        assertEquals(rold, AllocationLedger.decode(IpFamily.V4, Ledgers.of(client, "ad-main"))
                .owner(IpAddress.parse("10.70.0.13")).orElseThrow(), "the old record stays until the sweep");

        // a second pass changes nothing
        String before = Ledgers.of(client, "ad-main");
        assertEquals(0, adoption.pass());
        assertEquals(before, Ledgers.of(client, "ad-main"));
    }

    @Test
    void aMalformedLedgerIsReportedNamingThePoolAndTheRecordAndNothingChanges() {
        String json = "{\"10.71.0.10\":" + record("ok", "bbbbbbbb-0000-4000-8000-000000000001")
                + ",\"10.71.0.11\":{\"pod\":\"no-namespace\",\"podUid\":\"bbbbbbbb-0000-4000-8000-000000000002\"}}";
        pool("ad-bad", "10.71.0.0/16", "10.71.0.10-10.71.0.30", json);
        presence.recheckNow();
        // a pass counts the pool once the informer's copy carries the ledger (under load a pool event of another
        // test's pool may still be in flight): the pass is repeated until it reports the pool left, then nothing
        // may have been written
        await().atMost(Duration.ofSeconds(10)).until(() -> adoption.pass() >= 1);
        assertEquals(json, allocated("ad-bad"), "nothing written");
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> migration.migrate("ad-bad", fresh("ad-bad")));
        assertTrue(e.getMessage().startsWith("SpiderIPPool ad-bad: status.allocatedIPs cannot be adopted: invalid"
                + " Spiderpool ledger: record \"10.71.0.11\": \"pod\": \"no-namespace\" must be <namespace>/<pod name>"),
                e.getMessage());
        assertEquals(json, allocated("ad-bad"));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace("default").list()
                .getItems().stream().anyMatch(ev -> "AdoptionFailed".equals(ev.getReason())
                        && "ad-bad".equals(ev.getInvolvedObject().getName())
                        && ev.getMessage().contains("record \"10.71.0.11\"")));
        // corrected by hand: adopted at the next pass
        SpiderIPPool p = fresh("ad-bad");
        p.getStatus().allocatedIPs = json.replace("\"no-namespace\"", "\"default/fixed\"");
        client.resource(p).updateStatus();
        adoption.pass();
        assertEquals(PoolBlocks.MARKER, allocated("ad-bad"));
        assertEquals(2, AllocationLedger.decode(IpFamily.V4, Ledgers.of(client, "ad-bad")).size());
    }

    @Test
    void nothingIsAdoptedWhileSpiderpoolRuns() {
        Pod agent = spiderpoolAgent();
        try {
            String json = "{\"10.72.0.10\":" + record("p", "cccccccc-0000-4000-8000-000000000001") + "}";
            pool("ad-running", "10.72.0.0/16", "10.72.0.10-10.72.0.30", json);
            assertTrue(adoption.pass() >= 1);
            assertEquals(json, allocated("ad-running"));
            var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> migration.migrate("ad-running", fresh("ad-running")));
            assertTrue(e.getMessage().contains("Spiderpool is still running (pod kube-system/spiderpool-agent-x7k2p)"),
                    e.getMessage());
            assertEquals(json, allocated("ad-running"));
        } finally {
            uninstall(agent);
        }
        adoption.pass();
        assertEquals(PoolBlocks.MARKER, allocated("ad-running"));
    }

    /**
     * The attack: a tenant who may only create pods labels one of its own pods as Spiderpool's, to hold every pool
     * Spiderpool wrote unadopted (each refusing reservations) for as long as the pod lives. Only Spiderpool's own
     * namespace counts, so the pool is adopted all the same.
     */
    @Test
    void aTenantsPodLabelledAsSpiderpoolDoesNotHoldAdoptionBack() {
        Pod decoy = client.resource(new PodBuilder().withNewMetadata().withName("spiderpool-agent-decoy")
                .withNamespace(NS).withLabels(Map.of("app.kubernetes.io/name", "spiderpool")).endMetadata()
                .withNewSpec().addNewContainer().withName("a").withImage("busybox").endContainer().endSpec().build())
                .create();
        try {
            presence.recheckNow();
            assertTrue(presence.running().isEmpty(), "a tenant's pod counted as Spiderpool: " + presence.running());
            String json = "{\"10.75.0.10\":" + record("p", "eeeeeeee-0000-4000-8000-000000000001") + "}";
            pool("ad-decoy", "10.75.0.0/16", "10.75.0.10-10.75.0.30", json);
            adoption.pass();
            assertEquals(PoolBlocks.MARKER, allocated("ad-decoy"));
            // positive control: the same pod in Spiderpool's namespace does hold adoption back
            Pod agent = spiderpoolAgent();
            try {
                assertTrue(presence.running().orElse("").contains("kube-system/spiderpool-agent-x7k2p"));
            } finally {
                uninstall(agent);
            }
        } finally {
            client.resource(decoy).withGracePeriod(0).delete();
        }
    }

    /**
     * A running pod Spiderpool served whose SpiderEndpoint is gone: the ledger holds its address for it, but which
     * interface has it is unknown. It must not get a second address — its reservation label would then name the new
     * one, and the sweep would release the address still on its interface to the next pod.
     */
    @Test
    void aSpiderpoolPodWithoutItsEndpointKeepsItsAddressAndGetsNoSecondOne() {
        // as on a cluster Spiderpool ran, its pool holds the record before Spinneret looks at the pod: the pod is
        // opted out until then (the fixture writes a pool's status after creating it, and an empty new pool may be
        // reserved from in between)
        String uid = pod("ad-noep", "ad-noep", Map.of("spinneret.dev/ignore", "true"));
        String json = "{\"10.76.0.10\":" + record("ad-noep", uid) + "}";
        pool("ad-noep", "10.76.0.0/16", "10.76.0.10-10.76.0.30", json);
        adoption.pass();
        assertEquals(PoolBlocks.MARKER, allocated("ad-noep"));
        String id = SpiderpoolLedger.reservationId(uid);
        await().atMost(Duration.ofSeconds(10)).until(() -> !blocks.heldBy(id, NS + "/ad-noep").isEmpty());
        client.pods().inNamespace(NS).withName("ad-noep").edit(p -> {
            p.getMetadata().getLabels().remove("spinneret.dev/ignore");
            return p;
        });
        late.reserveFor(NS, "ad-noep");
        Pod after = client.pods().inNamespace(NS).withName("ad-noep").get();
        assertNull(after.getMetadata().getAnnotations().get(IpamAnnotations.RESERVED_IPS), "given a second address");
        assertTrue(after.getMetadata().getLabels() == null
                || !after.getMetadata().getLabels().containsKey(IpamAnnotations.RESERVATION_LABEL));
        await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace(NS).list().getItems()
                .stream().anyMatch(ev -> "AdoptionPending".equals(ev.getReason())
                        && "ad-noep".equals(ev.getInvolvedObject().getName())
                        && ev.getMessage().contains("10.76.0.10 of SpiderIPPool ad-noep")
                        && ev.getMessage().contains("SpiderEndpoint is missing")));
        assertEquals(id, AllocationLedger.decode(IpFamily.V4, Ledgers.of(client, "ad-noep"))
                .owner(IpAddress.parse("10.76.0.10")).orElseThrow(), "the address stays held for the pod");
        // positive control: a pod Spiderpool never served, in the same pool, is reserved late as usual
        pod("ad-noep-new", "ad-noep");
        reserveLate("ad-noep-new");
        String annotation = client.pods().inNamespace(NS).withName("ad-noep-new").get().getMetadata()
                .getAnnotations().get(IpamAnnotations.RESERVED_IPS);
        assertFalse(annotation.contains("10.76.0.10/"), annotation);
    }

    @Test
    void anImportCutShortIsFinishedAndRacingImportersAgree() throws Exception {
        List<String> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            // two blocks (10.73.0.x and 10.73.1.x)
            records.add("\"10.73." + (i % 2) + "." + (10 + i) + "\":" + record("r-" + i,
                    "dddddddd-0000-4000-8000-0000000000" + (10 + i)));
        }
        String json = "{" + String.join(",", records) + "}";
        // a replica died after its first write (the pool says adopting; one block was created, the other not)
        SpiderIPPool cut = pool("ad-cut", "10.73.0.0/16", "10.73.0.1-10.73.1.250", PoolBlocks.ADOPTING + json);
        SpiderpoolLedger imported = SpiderpoolLedger.parse(IpFamily.V4, json);
        Map<IpAddress, String> part = new java.util.TreeMap<>();
        Map<String, String> partHolders = new java.util.HashMap<>();
        for (SpiderpoolLedger.Entry e : imported.entries().subList(0, 5)) { // some of block 10.73.0.0/24
            part.put(e.address(), e.reservationId());
            partHolders.put(e.reservationId(), e.holder());
        }
        IpAddress first = IpAddress.parse("10.73.0.0");
        try {
            blocks.write(cut, dev.spinneret.ledger.Block.absent(PoolBlocks.name(cut, first), first),
                    AllocationLedger.of(IpFamily.V4, part), List.of(), partHolders);
        } catch (PoolBlocks.Conflict c) {
            // the service's own writer (a pool event) was importing it already: one more racer
        }
        presence.recheckNow();
        ExecutorService ex = Executors.newFixedThreadPool(4);
        List<Future<SpiderIPPool>> racers = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            racers.add(ex.submit(() -> migration.migrate("ad-cut", fresh("ad-cut"))));
        }
        for (Future<SpiderIPPool> f : racers) {
            assertEquals(PoolBlocks.MARKER, f.get(60, TimeUnit.SECONDS).getStatus().allocatedIPs);
        }
        ex.shutdown();
        AllocationLedger l = AllocationLedger.decode(IpFamily.V4, Ledgers.of(client, "ad-cut"));
        Map<String, String> holders = Ledgers.holders(client, "ad-cut");
        assertEquals(40, l.size());
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 40; i++) {
            String id = SpiderpoolLedger.reservationId("dddddddd-0000-4000-8000-0000000000" + (10 + i));
            assertEquals(id, l.owner(IpAddress.parse("10.73." + (i % 2) + "." + (10 + i))).orElseThrow());
            assertEquals(NS + "/r-" + i, holders.get(id));
            ids.add(id);
        }
        assertEquals(40, ids.size());
    }
    @Test
    void aStatefulSetPodRecreatedBeforeItsEndpointIsTakenOverKeepsItsAddress() throws Exception {
        String sts = client.apps().statefulSets().inNamespace(NS).resource(new StatefulSetBuilder().withNewMetadata()
                .withName("db").withNamespace(NS).endMetadata().withNewSpec().withReplicas(1).endSpec().build())
                .create().getMetadata().getUid();
        String oldUid = "eeeeeeee-0000-4000-8000-000000000001"; // db-0 as Spiderpool saw it, deleted meanwhile
        Pod old = new PodBuilder().withNewMetadata().withName("db-0").withNamespace(NS).withUid(oldUid).endMetadata()
                .build();
        endpoint("db-0", oldUid, "ad-sts", "10.74.0.12", "db");
        pool("ad-sts", "10.74.0.0/16", "10.74.0.10-10.74.0.30", "{\"10.74.0.12\":" + record("db-0", oldUid) + "}");
        presence.recheckNow();
        migration.migrate("ad-sts", fresh("ad-sts")); // the pool is adopted, the endpoint not yet (no pass ran)
        assertTrue(SpiderpoolAdoption.spiderpoolWritten(client.resources(SpiderEndpoint.class).inNamespace(NS)
                .withName(old.getMetadata().getName()).get()));
        await().atMost(Duration.ofSeconds(20)).until(dev.spinneret.admission.Reviews::ready);
        // the StatefulSet controller creates db-0 again: the webhook gives it the address Spiderpool gave db-0
        var db0 = PodAdmissionTest.pod("db-0", "{\"ipv4\":[\"ad-sts\"]}");
        ((com.fasterxml.jackson.databind.node.ObjectNode) db0.get("metadata")).putArray("ownerReferences").addObject()
                .put("apiVersion", "apps/v1").put("kind", "StatefulSet").put("name", "db").put("uid", sts)
                .put("controller", true);
        JsonNode got = PodAdmissionTest.reservedIps(dev.spinneret.admission.Reviews.post("mutate-pod",
                dev.spinneret.admission.Reviews.review("Pod", "CREATE", db0, null, false)).extract().asString());
        assertEquals("10.74.0.12/16", got.at("/interfaces/0/ipv4").asText(), got.toString());
        assertEquals(SpiderpoolLedger.reservationId(oldUid), got.get("id").asText());
        SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(NS).withName("db-0").get();
        assertEquals(SpiderpoolLedger.reservationId(oldUid), se.getStatus().current.reservationID);
        assertTrue(se.getMetadata().getOwnerReferences().stream().anyMatch(r -> sts.equals(r.getUid())));
        assertFalse(se.getMetadata().getFinalizers().contains("spiderpool.spidernet.io"));
    }
}
