package dev.spinneret.admission;

import static dev.spinneret.admission.Reviews.mutate;
import static dev.spinneret.admission.Reviews.pool;
import static dev.spinneret.admission.Reviews.post;
import static dev.spinneret.admission.Reviews.review;
import static dev.spinneret.admission.Reviews.subnet;
import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.allOf;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.api.v1alpha1.SpinneretIPBlock;
import dev.spinneret.api.v1alpha1.SpinneretIPBlockSpec;
import dev.spinneret.api.v1alpha1.SpinneretIPBlockWithdrawal;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ledger.PoolBlocks;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import io.restassured.http.ContentType;
import jakarta.inject.Inject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** Pool, subnet and reserved-IP webhooks, one test per rule, posting AdmissionReview JSON like the API server. */
@QuarkusTest
@WithKubernetesTestServer(crud = true)
@Tag("webhook")
class PoolAdmissionTest {
    @Inject
    KubernetesClient client;
    @Inject
    AdmissionGate gate;

    @BeforeEach
    void clean() {
        client.resources(SpiderIPPool.class).delete();
        client.resources(SpiderSubnet.class).delete();
        client.configMaps().inNamespace("spinneret-system").withName(AdmissionGate.CLAIMS).delete();
    }

    private void store(ObjectNode obj) throws Exception {
        String kind = obj.get("kind").asText();
        ObjectNode mutated = mutate(kind.equals("SpiderIPPool") ? "mutate-spiderippool" : "mutate-spidersubnet", kind, obj);
        mutated.with("metadata").remove("finalizers"); // the mock server would keep finalized objects between tests
        if (kind.equals("SpiderIPPool")) {
            client.resource(client.getKubernetesSerialization().convertValue(mutated, SpiderIPPool.class)).create();
        } else {
            client.resource(client.getKubernetesSerialization().convertValue(mutated, SpiderSubnet.class)).create();
        }
        client.configMaps().inNamespace("spinneret-system").withName(AdmissionGate.CLAIMS).delete();
    }

    private static void allowed(String webhook, String kind, ObjectNode obj) {
        post(webhook, review(kind, "CREATE", obj, null, false)).body("response.allowed", equalTo(true));
    }

    private static void denied(String webhook, String kind, ObjectNode obj, String... fragments) {
        var r = post(webhook, review(kind, "CREATE", obj, null, false)).body("response.allowed", equalTo(false));
        for (String f : fragments) {
            r.body("response.status.message", containsString(f));
        }
    }

    private static ObjectNode defaulted(ObjectNode pool) throws Exception {
        return mutate("mutate-spiderippool", "SpiderIPPool", pool);
    }

    // ---- the "done when" ----

    @Test
    void seedPoolIsAllowedAndAnOverlappingOneNamesIt() throws Exception {
        ObjectNode seed = pool("nginx-v4-ippool", "10.244.0.0/16", "10.244.120.10-10.244.120.20");
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(seed));
        store(seed);
        denied("validate-spiderippool", "SpiderIPPool",
                defaulted(pool("second", "10.244.0.0/16", "10.244.120.15-10.244.120.25")),
                "spec.ips", "10.244.120.15-10.244.120.20", "SpiderIPPool nginx-v4-ippool");
    }

    @Test
    void poolWithADifferentOverlappingCidrIsDenied() throws Exception {
        store(pool("nginx-v4-ippool", "10.244.0.0/16", "10.244.120.10-10.244.120.20"));
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("narrow", "10.244.120.0/24", "10.244.120.100")),
                "spec.subnet", "10.244.120.0/24 overlaps SpiderIPPool nginx-v4-ippool", "10.244.0.0/16");
    }

    @Test
    void excludedAddressesDoNotCountAsOverlap() throws Exception {
        ObjectNode a = pool("a", "10.1.0.0/16", "10.1.0.10-10.1.0.20");
        a.with("spec").putArray("excludeIPs").add("10.1.0.15-10.1.0.20");
        store(a);
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(pool("b", "10.1.0.0/16", "10.1.0.15-10.1.0.30")));
    }

    // ---- defaulting ----

    @Test
    void defaultingSetsVersionFinalizerLabelAndMergesRanges() throws Exception {
        ObjectNode p = pool("p", "10.244.0.0/16", "10.244.0.20", "10.244.0.10-10.244.0.19", "10.244.0.30");
        ObjectNode d = defaulted(p);
        assertEquals(4, d.at("/spec/ipVersion").asInt());
        assertEquals("[\"spiderpool.spidernet.io/ippool\"]", d.at("/metadata/finalizers").toString());
        assertEquals("10-244-0-0-16", d.at("/metadata/labels").get("ipam.spidernet.io/ippool-cidr").asText());
        assertEquals("[\"10.244.0.10-10.244.0.20\",\"10.244.0.30\"]", d.at("/spec/ips").toString());
        assertEquals(false, d.at("/spec/default").asBoolean(true));
        ObjectNode s = mutate("mutate-spidersubnet", "SpiderSubnet", subnet("s", "10.245.0.0/16", "10.245.0.1"));
        assertEquals("[\"spiderpool.spidernet.io/subnet\"]", s.at("/metadata/finalizers").toString());
    }

    @Test
    void theLegacyFinalizerIsReplacedOnUpdateButNeverOnAnObjectBeingDeleted() throws Exception {
        ObjectNode old = defaulted(pool("p", "10.244.0.0/16", "10.244.0.10"));
        old.with("metadata").putArray("finalizers").add("example.com/keep").add("spiderpool.spidernet.io");
        ObjectNode now = old.deepCopy();
        now.with("metadata").with("labels").put("team", "a");
        ObjectNode patched = applyPatch(post("mutate-spiderippool", review("SpiderIPPool", "UPDATE", now, old, false)),
                now);
        assertEquals("[\"example.com/keep\",\"spiderpool.spidernet.io/ippool\"]",
                patched.at("/metadata/finalizers").toString());
        // once deletion started no finalizer may be added: the legacy one stays and still holds the pool
        ObjectNode deleting = old.deepCopy();
        deleting.with("metadata").put("deletionTimestamp", "2026-11-30T10:00:00Z");
        ObjectNode kept = applyPatch(post("mutate-spiderippool", review("SpiderIPPool", "UPDATE", deleting, deleting,
                false)), deleting);
        assertEquals("[\"example.com/keep\",\"spiderpool.spidernet.io\"]", kept.at("/metadata/finalizers").toString());
    }

    private static ObjectNode applyPatch(io.restassured.response.ValidatableResponse r, ObjectNode obj)
            throws Exception {
        var response = Reviews.M.readTree(r.body("response.allowed", equalTo(true)).extract().asString())
                .get("response");
        if (!response.has("patch")) {
            return obj;
        }
        var patch = Reviews.M.readTree(java.util.Base64.getDecoder().decode(response.get("patch").asText()));
        return (ObjectNode) io.fabric8.zjsonpatch.JsonPatch.apply(patch, obj);
    }

    @Test
    void poolInheritsGatewayAndRoutesFromItsSubnet() throws Exception {
        ObjectNode s = subnet("s", "10.7.0.0/16", "10.7.1.0-10.7.1.255");
        s.with("spec").put("gateway", "10.7.0.1");
        s.with("spec").putArray("routes").addObject().put("dst", "10.8.0.0/16").put("gw", "10.7.0.1");
        store(s);
        ObjectNode d = defaulted(pool("p", "10.7.0.0/16", "10.7.1.1-10.7.1.5"));
        assertEquals("10.7.0.1", d.at("/spec/gateway").asText());
        assertEquals("10.8.0.0/16", d.at("/spec/routes/0/dst").asText());
        assertEquals("s", d.at("/metadata/labels").get("ipam.spidernet.io/owner-spider-subnet").asText());
    }

    // ---- field rules ----

    @Test
    void nonCanonicalSubnetSaysWhatToUse() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", withVersion(pool("p", "10.244.1.0/16"), 4),
                "spec.subnet", "use 10.244.0.0/16");
    }

    @Test
    void nonCanonicalIpv6SubnetWithoutVersionNamesTheCanonicalForm() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("p", "fd00:5:5:0::/64", "fd00:5:5::1")),
                "spec.subnet", "use fd00:5:5::/64");
    }

    @Test
    void badOctetIsNamed() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("p", "10.0.0.0/24", "10.0.0.300")),
                "spec.ips[0]", "10.0.0.300");
    }

    @Test
    void reversedRangeIsDenied() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("p", "10.0.0.0/24", "10.0.0.9-10.0.0.1")),
                "spec.ips[0]", "10.0.0.9-10.0.0.1");
    }

    @Test
    void ipv4AddressesInAnIpv6PoolAreDenied() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("p", "fd00::/64", "fd00::10", "10.0.0.1")),
                "spec.ips[1]", "IPv4");
    }

    @Test
    void ipVersionFiveIsDenied() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", withVersion(pool("p", "10.0.0.0/24"), 5),
                "spec.ipVersion", "5");
    }

    @Test
    void ipVersionMustMatchSubnet() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", withVersion(pool("p", "10.0.0.0/24"), 6),
                "spec.subnet", "spec.ipVersion is 6");
    }

    @Test
    void ipsOutsideTheSubnetAreDenied() throws Exception {
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("p", "10.0.0.0/24", "10.0.1.1")),
                "spec.ips[0]", "outside spec.subnet 10.0.0.0/24");
    }

    @Test
    void excludeIPsOutsideTheSubnetAreDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.1-10.0.0.9");
        p.with("spec").putArray("excludeIPs").add("10.9.0.1");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.excludeIPs[0]", "outside");
    }

    @Test
    void gatewayAmongUsableAddressesIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.1-10.0.0.9");
        p.with("spec").put("gateway", "10.0.0.5");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.gateway", "spec.excludeIPs");
        p.with("spec").putArray("excludeIPs").add("10.0.0.5");
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(p));
    }

    @Test
    void gatewayOutsideTheSubnetIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        p.with("spec").put("gateway", "10.0.1.1");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.gateway", "outside");
    }

    @Test
    void defaultRouteIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        p.with("spec").putArray("routes").addObject().put("dst", "0.0.0.0/0").put("gw", "10.0.0.1");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.routes[0].dst", "spec.gateway");
    }

    @Test
    void duplicateRouteIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        var routes = p.with("spec").putArray("routes");
        routes.addObject().put("dst", "10.9.0.0/16").put("gw", "10.0.0.1");
        routes.addObject().put("dst", "10.9.0.0/16").put("gw", "10.0.0.3");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.routes[1].dst", "twice");
    }

    @Test
    void routeGatewayOutsideTheSubnetIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        p.with("spec").putArray("routes").addObject().put("dst", "10.9.0.0/16").put("gw", "10.1.0.1");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.routes[0].gw", "outside");
    }

    @Test
    void emptyPodAffinityIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        p.with("spec").putObject("podAffinity");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.podAffinity", "empty selector");
    }

    @Test
    void badSelectorOperatorIsDenied() throws Exception {
        ObjectNode p = pool("p", "10.0.0.0/24", "10.0.0.2");
        p.with("spec").putObject("nodeAffinity").putArray("matchExpressions").addObject()
                .put("key", "zone").put("operator", "Near");
        denied("validate-spiderippool", "SpiderIPPool", defaulted(p), "spec.nodeAffinity.matchExpressions[0].operator");
    }

    // ---- updates ----

    @Test
    void subnetAndVersionAreImmutable() throws Exception {
        ObjectNode old = defaulted(pool("p", "10.0.0.0/24", "10.0.0.2"));
        ObjectNode now = old.deepCopy();
        now.with("spec").put("subnet", "10.0.1.0/24");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", now, old, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("spec.subnet: is immutable"));
    }

    @Test
    void removingAnAllocatedAddressIsDeniedWithItsOwner() throws Exception {
        ObjectNode old = defaulted(pool("p", "10.0.0.0/24", "10.0.0.2-10.0.0.9"));
        old.putObject("status").put("allocatedIPs", "10.0.0.8=abc123").put("allocatedIPCount", 1);
        ObjectNode now = old.deepCopy();
        now.with("spec").putArray("ips").add("10.0.0.2-10.0.0.5");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", now, old, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", allOf(containsString("cannot remove"), containsString("10.0.0.8"),
                        containsString("abc123")));
        ObjectNode excluding = old.deepCopy();
        excluding.with("spec").putArray("excludeIPs").add("10.0.0.8");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", excluding, old, false))
                .body("response.allowed", equalTo(false));
    }

    /** A pool whose ledger is in blocks: removing addresses marks them withdrawn first, or is denied naming the holder. */
    @Test
    void shrinkOfABlockPoolWithdrawsTheRemovedAddressesOrIsDeniedWithTheirOwner() throws Exception {
        ObjectNode old = defaulted(pool("shrinky", "10.9.0.0/16", "10.9.0.2-10.9.0.9"));
        old.with("metadata").put("uid", "5e7a0000-0000-4000-8000-00000000beef").put("generation", 3);
        old.putObject("status").put("allocatedIPs", PoolBlocks.MARKER).put("allocatedIPCount", 1);
        SpiderIPPool oldPool = client.getKubernetesSerialization().convertValue(old, SpiderIPPool.class);
        var block = new SpinneretIPBlock();
        block.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
                .withName(PoolBlocks.name(oldPool, IpAddress.parse("10.9.0.0")))
                .addToLabels(SpinneretIPBlock.POOL_UID_LABEL, oldPool.getMetadata().getUid())
                .build());
        block.setSpec(new SpinneretIPBlockSpec());
        block.getSpec().pool = "shrinky";
        block.getSpec().poolUID = oldPool.getMetadata().getUid();
        block.getSpec().ipVersion = 4;
        block.getSpec().firstIP = "10.9.0.0";
        block.getSpec().allocatedIPs = "10.9.0.3=abc123";
        client.resource(block).create();
        java.util.function.Supplier<java.util.List<SpinneretIPBlockWithdrawal>> marks = () -> {
            var b = client.resources(SpinneretIPBlock.class)
                    .withName(block.getMetadata().getName()).get();
            return b.getSpec().withdrawn == null ? java.util.List.of() : b.getSpec().withdrawn;
        };
        ObjectNode holder = old.deepCopy();
        holder.with("spec").putArray("ips").add("10.9.0.4-10.9.0.9");
        for (boolean dryRun : new boolean[] { true, false }) {
            post("validate-spiderippool", review("SpiderIPPool", "UPDATE", holder, old, dryRun))
                    .body("response.allowed", equalTo(false))
                    .body("response.status.message", allOf(containsString("spec.ips: cannot remove 10.9.0.3"),
                            containsString("abc123")));
            assertEquals(0, marks.get().size(), "a denied update leaves no marks (dry run " + dryRun + ")");
        }
        ObjectNode free = old.deepCopy();
        free.with("spec").putArray("ips").add("10.9.0.2-10.9.0.5");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", free, old, true))
                .body("response.allowed", equalTo(true));
        assertEquals(0, marks.get().size(), "a dry run writes no marks");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", free, old, false))
                .body("response.allowed", equalTo(true));
        assertEquals(1, marks.get().size());
        assertEquals(java.util.List.of("10.9.0.6-10.9.0.9"), marks.get().get(0).ips);
        assertEquals(3L, marks.get().get(0).generation);
        assertEquals("10.9.0.3=abc123", client.resources(SpinneretIPBlock.class)
                .withName(block.getMetadata().getName()).get().getSpec().allocatedIPs, "allocations untouched");
    }

    @Test
    void terminatingPoolCanAlwaysLoseItsFinalizer() throws Exception {
        // even a pool whose spec would now be refused (it overlaps another) can have its finalizer removed
        store(pool("other", "10.0.0.0/24", "10.0.0.2-10.0.0.9"));
        ObjectNode old = defaulted(pool("p", "10.0.0.0/24", "10.0.0.5"));
        old.with("metadata").put("deletionTimestamp", "2026-11-26T10:00:00Z");
        ObjectNode now = old.deepCopy();
        now.with("metadata").putArray("finalizers");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", now, old, false))
                .body("response.allowed", equalTo(true));
        ObjectNode specChange = old.deepCopy();
        specChange.with("spec").putArray("ips").add("10.0.0.6");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", specChange, old, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("being deleted"));
    }

    // ---- concurrency gate ----

    @Test
    void aPoolAdmittedButNotYetStoredBlocksAnOverlappingOne() throws Exception {
        allowed("validate-spiderippool", "SpiderIPPool", identified(defaulted(pool("first", "10.3.0.0/24",
                "10.3.0.1-10.3.0.9")), "uid-first"));
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("second", "10.3.0.0/24", "10.3.0.5")),
                "SpiderIPPool first (admitted ", "s ago, not yet stored; its addresses stay claimed until it is"
                        + " stored, at most ", "s more)");
    }

    @Test
    void aPoolStoredAndDeletedReleasesItsClaimAtOnce() throws Exception {
        allowed("validate-spiderippool", "SpiderIPPool", identified(defaulted(pool("first", "10.3.0.0/24",
                "10.3.0.1-10.3.0.9")), "uid-deleted"));
        gate.observed("uid-deleted", 1L); // the pool informer saw it stored; it is not listed any more: deleted
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(pool("second", "10.3.0.0/24", "10.3.0.5")));
        // and the claim is gone from the ConfigMap: the second pool's is the only one left
        String claims = client.configMaps().inNamespace("spinneret-system").withName(AdmissionGate.CLAIMS).get()
                .getData().get("claims");
        assertTrue(claims.contains("\"second\"") && !claims.contains("\"first\""), claims);
    }

    @Test
    void deletingAPoolForgetsItsClaim() throws Exception {
        allowed("validate-spiderippool", "SpiderIPPool", identified(defaulted(pool("first", "10.3.0.0/24",
                "10.3.0.1-10.3.0.9")), "uid-forgotten"));
        gate.forget("SpiderIPPool", "first", "uid-other"); // another incarnation of the name: not this claim
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("second", "10.3.0.0/24", "10.3.0.5")),
                "SpiderIPPool first");
        gate.forget("SpiderIPPool", "first", "uid-forgotten");
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(pool("second", "10.3.0.0/24", "10.3.0.5")));
    }

    private static ObjectNode identified(ObjectNode obj, String uid) {
        obj.with("metadata").put("uid", uid).put("generation", 1);
        return obj;
    }

    @Test
    void dryRunChecksButDoesNotClaim() throws Exception {
        post("validate-spiderippool", review("SpiderIPPool", "CREATE",
                defaulted(pool("first", "10.4.0.0/24", "10.4.0.1-10.4.0.9")), null, true))
                .body("response.allowed", equalTo(true));
        allowed("validate-spiderippool", "SpiderIPPool", defaulted(pool("second", "10.4.0.0/24", "10.4.0.5")));
    }

    // ---- subnets ----

    @Test
    void subnetsNeverOverlapEvenWithTheSameCidr() throws Exception {
        store(subnet("s1", "10.5.0.0/16", "10.5.1.1"));
        denied("validate-spidersubnet", "SpiderSubnet",
                mutate("mutate-spidersubnet", "SpiderSubnet", subnet("s2", "10.5.0.0/16", "10.5.2.1")),
                "spec.subnet", "SpiderSubnet s1");
        denied("validate-spidersubnet", "SpiderSubnet",
                mutate("mutate-spidersubnet", "SpiderSubnet", subnet("s3", "10.5.3.0/24", "10.5.3.1")),
                "spec.subnet", "SpiderSubnet s1");
    }

    @Test
    void poolMustStayWithinItsSubnetsAddresses() throws Exception {
        store(subnet("nginx-subnet-v4", "10.244.0.0/16", "10.244.100.0-10.244.200.1"));
        allowed("validate-spiderippool", "SpiderIPPool",
                defaulted(pool("nginx-v4-ippool", "10.244.0.0/16", "10.244.120.10-10.244.120.20")));
        denied("validate-spiderippool", "SpiderIPPool", defaulted(pool("outside", "10.244.0.0/16", "10.244.1.1")),
                "spec.ips", "SpiderSubnet nginx-subnet-v4");
    }

    @Test
    void subnetMustContainExistingPoolsOfItsCidr() throws Exception {
        store(pool("p", "10.6.0.0/16", "10.6.9.9"));
        denied("validate-spidersubnet", "SpiderSubnet",
                mutate("mutate-spidersubnet", "SpiderSubnet", subnet("s", "10.6.0.0/16", "10.6.1.0-10.6.1.255")),
                "SpiderIPPool p", "10.6.9.9");
    }

    @Test
    void subnetCannotDropAddressesHandedToPools() throws Exception {
        ObjectNode old = mutate("mutate-spidersubnet", "SpiderSubnet", subnet("s", "10.6.0.0/16", "10.6.1.0-10.6.1.255"));
        old.putObject("status").put("controlledIPPools",
                "{\"auto-x\":{\"ips\":[\"10.6.1.10-10.6.1.12\"],\"application\":\"apps_v1_Deployment_default_x\"}}");
        ObjectNode now = old.deepCopy();
        now.with("spec").putArray("ips").add("10.6.1.0-10.6.1.10");
        post("validate-spidersubnet", review("SpiderSubnet", "UPDATE", now, old, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", allOf(containsString("10.6.1.11-10.6.1.12"), containsString("auto-x")));
    }

    // ---- reserved IPs ----

    @Test
    void reservedIpVersionIsDefaultedAndChecked() throws Exception {
        ObjectNode r = Reviews.M.createObjectNode();
        r.put("apiVersion", "spiderpool.spidernet.io/v2beta1").put("kind", "SpiderReservedIP");
        r.putObject("metadata").put("name", "r");
        r.putObject("spec").putArray("ips").add("10.0.0.5").add("fd00::1");
        ObjectNode d = mutate("mutate-spiderreservedip", "SpiderReservedIP", r);
        assertEquals(4, d.at("/spec/ipVersion").asInt());
        denied("validate-spiderreservedip", "SpiderReservedIP", d, "spec.ips[1]", "not an IPv4");
    }

    // ---- broken requests ----

    @Test
    void malformedJsonIsADenialNotA500() {
        given().contentType(ContentType.JSON).body("{\"apiVersion\": \"admission.k8s.io/v1\", \"kind\": ")
                .post("/admission/validate-spiderippool").then().statusCode(200)
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("not valid JSON"));
    }

    @Test
    void wrongKindAndMissingRequestAreDenials() {
        given().contentType(ContentType.JSON).body("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"Pod\"}")
                .post("/admission/validate-spiderippool").then().statusCode(200)
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("AdmissionReview"));
        given().contentType(ContentType.JSON).body("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\"}")
                .post("/admission/validate-spiderippool").then().statusCode(200)
                .body("response.allowed", equalTo(false))
                .body("response.status.message", containsString("no request"));
    }

    static java.net.http.HttpResponse<String> rawPost(String path, String body) throws Exception {
        return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + io.restassured.RestAssured.port + path))
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /** Bigger than anything the API server sends (~3 MiB): refused before it is buffered. */
    @Test
    void tenMegabyteBodyIsRefusedUnread() throws Exception {
        // announced, not sent: the server answers from the header and closes (a client still sending gets EPIPE)
        try (var socket = new java.net.Socket("127.0.0.1", io.restassured.RestAssured.port)) {
            socket.getOutputStream().write(("POST /admission/validate-spiderippool HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + 10 * 1024 * 1024 + "\r\n\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            socket.setSoTimeout(10_000);
            String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII)).readLine();
            assertTrue(status != null && status.startsWith("HTTP/1.1 413"), String.valueOf(status));
        }
    }

    /** Issue 21: ~3 MiB of nested empty objects exhausted the heap; the parser now stops at the nesting limit. */
    @Test
    void deeplyNestedReviewIsADenialNotA500() throws Exception {
        ObjectNode pool = pool("deep", "10.0.0.0/24");
        String review = review("SpiderIPPool", "CREATE", pool, null, false);
        int depth = 100_000;
        String nested = "{\"a\":".repeat(depth) + "{}" + "}".repeat(depth);
        String body = review.replace("\"metadata\":{", "\"deep\":" + nested + ",\"metadata\":{");
        assertTrue(body.length() > 500_000 && body.length() < 4 * 1024 * 1024, "the review was built");
        // posted without rest-assured, which pretty-prints bodies (100,000 levels deep here: it runs out of heap)
        var resp = rawPost("/admission/validate-spiderippool", body);
        String text = resp.body();
        String head = text.substring(0, Math.min(text.length(), 2000));
        assertEquals(200, resp.statusCode(), head);
        assertTrue(text.contains("\"allowed\":false") && text.contains("\"code\":400")
                && text.contains("exceeds a limit") && text.contains("nesting depth"), head);
    }

    /** Many small empty objects at a shallow depth: bounded by the token count, a denial too. */
    @Test
    void reviewOfCountlessEmptyObjectsIsADenial() throws Exception {
        String review = review("SpiderIPPool", "CREATE", pool("wide", "10.0.0.0/24"), null, false);
        String wide = "[" + "{},".repeat(200_000) + "{}]";
        String body = review.replace("\"metadata\":{", "\"wide\":" + wide + ",\"metadata\":{");
        var resp = rawPost("/admission/validate-spiderippool", body);
        String text = resp.body();
        String head = text.substring(0, Math.min(text.length(), 2000));
        assertEquals(200, resp.statusCode(), head);
        assertTrue(text.contains("\"allowed\":false") && text.contains("exceeds a limit")
                && text.contains("Token count"), head);
    }

    @Test
    void unknownWebhookPathIsADenialNamingTheKnownOnes() throws Exception {
        post("validate-nothing", review("SpiderIPPool", "CREATE", pool("p", "10.0.0.0/24"), null, false))
                .body("response.allowed", equalTo(false))
                .body("response.status.message", allOf(containsString("validate-spiderippool"), not(containsString("Exception"))));
    }

    @Test
    void responseEchoesTheRequestUid() throws Exception {
        String body = review("SpiderIPPool", "CREATE", defaulted(pool("p", "10.9.0.0/24", "10.9.0.1")), null, false);
        String uid = Reviews.M.readTree(body).at("/request/uid").asText();
        post("validate-spiderippool", body).body("response.uid", equalTo(uid));
        assertTrue(uid.length() > 10);
    }

    private static ObjectNode withVersion(ObjectNode p, int v) {
        p.with("spec").put("ipVersion", v);
        return p;
    }

    @Test
    void onlySpinneretResizesAnAutomaticPool() throws Exception {
        ObjectNode old = defaulted(pool("auto-nginx-v4-eth0-452e737e5e12", "10.244.0.0/16", "10.244.100.1-10.244.100.5"));
        old.with("metadata").with("labels").put("ipam.spidernet.io/owner-application-uid", "u1")
                .put("ipam.spidernet.io/owner-application-kind", "Deployment")
                .put("ipam.spidernet.io/owner-application-namespace", "default")
                .put("ipam.spidernet.io/owner-application-name", "nginx");
        ObjectNode edited = old.deepCopy();
        edited.with("spec").putArray("ips").add("10.244.100.1-10.244.100.9");
        String byUser = review("SpiderIPPool", "UPDATE", edited, old, false);
        post("validate-spiderippool", byUser).body("response.allowed", equalTo(false))
                .body("response.status.message", allOf(containsString("spec.ips"), containsString("automatic pool of"
                        + " Deployment default/nginx"), containsString("ippool-ip-number")));
        String bySpinneret = byUser.replace("\"username\":\"admin\"",
                "\"username\":\"system:serviceaccount:spinneret-system:spinneret\"");
        post("validate-spiderippool", bySpinneret).body("response.allowed", equalTo(true));
        ObjectNode relabelled = old.deepCopy();
        relabelled.with("metadata").with("labels").put("team", "a");
        post("validate-spiderippool", review("SpiderIPPool", "UPDATE", relabelled, old, false))
                .body("response.allowed", equalTo(true));
    }
}
