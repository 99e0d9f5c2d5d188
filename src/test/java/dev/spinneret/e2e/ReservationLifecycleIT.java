package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** Dry runs, pods refused by a later admission step, and multi-NIC all-or-nothing, against the real API server. */
@Tag("api-server")
class ReservationLifecycleIT {
    static RealCluster cluster;

    @BeforeAll
    static void up() {
        cluster = RealCluster.get();
        TestNamespace.create(cluster, "life");
    }

    static String pod(String name, String annotations, String labels) {
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: life
                  labels: %s
                  annotations:
                    %s
                spec:
                  containers:
                  - name: c
                    image: nginx
                """.formatted(name, labels, annotations);
    }

    @Test
    void serverDryRunShowsTheAddressAndReservesNothing() {
        cluster.kubectlApply(Yaml.pool("life-dry", "10.70.0.0/16", "10.70.0.1-10.70.0.5")).ok();
        var r = cluster.kubectl("run", "dry", "-n", "life", "--image=nginx", "--dry-run=server", "-o", "yaml",
                "--annotations=ipam.spidernet.io/ippool={\"ipv4\":[\"life-dry\"]}").ok();
        assertTrue(r.out().contains("ipam.spidernet.io/reserved-ips") && r.out().contains("10.70.0.1/16"), r.out());
        assertEquals("", Pods.ledger(cluster.client(), "life-dry"));
        assertEquals("", cluster.kubectl("get", "pod", "dry", "-n", "life", "--ignore-not-found").out().trim());
        // the positive control: the same pod for real is in the ledger, with the address the dry run showed
        cluster.kubectl("run", "dry", "-n", "life", "--image=nginx",
                "--annotations=ipam.spidernet.io/ippool={\"ipv4\":[\"life-dry\"]}").ok();
        assertTrue(Pods.ledger(cluster.client(), "life-dry").startsWith("10.70.0.1="),
                Pods.ledger(cluster.client(), "life-dry"));
    }

    @Test
    void podRefusedByALaterValidatingStepLeavesNoReservationAfterTheTtl() {
        cluster.kubectlApply(Yaml.pool("life-orphan", "10.71.0.0/16", "10.71.0.1-10.71.0.5")).ok();
        cluster.kubectlApply("""
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicy
                metadata:
                  name: deny-labelled-pods
                spec:
                  failurePolicy: Fail
                  matchConstraints:
                    resourceRules:
                    - apiGroups: [""]
                      apiVersions: ["v1"]
                      operations: ["CREATE"]
                      resources: ["pods"]
                  validations:
                  - expression: "!has(object.metadata.labels) || !('spinneret-test/deny' in object.metadata.labels)"
                    message: "denied by the test policy"
                ---
                apiVersion: admissionregistration.k8s.io/v1
                kind: ValidatingAdmissionPolicyBinding
                metadata:
                  name: deny-labelled-pods
                spec:
                  policyName: deny-labelled-pods
                  validationActions: [Deny]
                """).ok();
        // the policy takes effect a few seconds after it is created: until then a try is admitted (and deleted)
        java.util.concurrent.atomic.AtomicInteger attempt = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicLong refusedAt = new java.util.concurrent.atomic.AtomicLong();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
            String name = "refused-" + attempt.incrementAndGet();
            var r = cluster.kubectlApply(pod(name, "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-orphan\"]}'",
                    "{spinneret-test/deny: \"x\"}"));
            if (r.code() == 0) {
                cluster.kubectl("delete", "pod", name, "-n", "life", "--wait=false");
            }
            assertNotEquals(0, r.code());
            assertTrue(r.err().contains("denied by the test policy"), r.err());
            refusedAt.set(System.nanoTime());
        });
        // the mutating webhook reserved an address, bound to the refused pod, before the policy refused it
        String orphan = "life/refused-" + attempt.get();
        assertTrue(Pods.holders(cluster.client(), "life-orphan").contains(orphan), orphan + " holds a reservation");
        // nothing is released before the orphan TTL (10 s here, from the reservation just before the refusal)
        await().pollDelay(Duration.ofSeconds(7)).atMost(Duration.ofSeconds(8)).until(() -> true);
        assertTrue(Pods.holders(cluster.client(), "life-orphan").contains(orphan),
                orphan + "'s reservation released " + (System.nanoTime() - refusedAt.get()) / 1_000_000
                        + " ms after the refusal, before the 10 s orphan TTL");
        // after it, the GC gives it back
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2))
                .untilAsserted(() -> assertFalse(Pods.holders(cluster.client(), "life-orphan").contains(orphan)));
        assertEquals("", Pods.ledger(cluster.client(), "life-orphan"));
    }

    @Test
    void multiNicWithOneEmptyPoolIsDeniedAndNothingStaysReserved() {
        cluster.kubectlApply(Yaml.pool("life-a", "10.72.0.0/16", "10.72.0.1-10.72.0.5")).ok();
        cluster.kubectlApply(Yaml.pool("life-b", "10.73.0.0/16", "10.73.0.1")).ok();
        cluster.kubectlApply(pod("holder", "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-b\"]}'", "{}")).ok();
        var r = cluster.kubectlApply(pod("multi", "ipam.spidernet.io/ippools: '[{\"interface\":\"eth0\",\"ipv4\":[\"life-a\"]},"
                + "{\"interface\":\"net1\",\"ipv4\":[\"life-b\"]}]'", "{}"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("net1") && r.err().contains("life-b is exhausted"), r.err());
        assertEquals("", Pods.ledger(cluster.client(), "life-a"), "eth0's address was given back at once");
        // the positive control: the next pod of life-a is in that ledger, alone
        cluster.kubectlApply(pod("single", "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-a\"]}'", "{}")).ok();
        assertEquals(List.of("life/single"), List.copyOf(Pods.holders(cluster.client(), "life-a")),
                Pods.ledger(cluster.client(), "life-a"));
    }

    @Test
    void aPoolWithAllocationsIsDeletedOnlyOnceEmptyAndAnEmptySubnetGoesAtOnce() {
        cluster.kubectlApply(Yaml.pool("life-del", "10.75.0.0/16", "10.75.0.1-10.75.0.5")).ok();
        cluster.kubectlApply(pod("holder-del", "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-del\"]}'", "{}")).ok();
        cluster.kubectl("delete", "sp", "life-del", "--wait=false").ok();
        // held by the finalizer while a pod holds an address; new pods cannot use a pool being deleted
        await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() ->
                !cluster.kubectl("get", "sp", "life-del", "-o", "name").out().isBlank());
        var r = cluster.kubectlApply(pod("late", "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-del\"]}'", "{}"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("being deleted"), r.err());
        cluster.kubectl("delete", "pod", "holder-del", "-n", "life").ok();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                cluster.kubectl("get", "sp", "life-del", "--ignore-not-found", "-o", "name").out().isBlank());

        // a subnet is held while a pool of it exists, and goes once the pool is gone
        cluster.kubectlApply(Yaml.subnet("life-subnet", "10.76.0.0/16", "10.76.0.1-10.76.0.9")).ok();
        cluster.kubectlApply(Yaml.pool("life-in-subnet", "10.76.0.0/16", "10.76.0.1-10.76.0.3")).ok();
        cluster.kubectl("delete", "ss", "life-subnet", "--wait=false").ok();
        await().pollDelay(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(7)).until(() -> true); // past a GC sweep
        assertFalse(cluster.kubectl("get", "ss", "life-subnet", "--ignore-not-found", "-o", "name").out().isBlank(),
                "the subnet went while its pool life-in-subnet exists");
        cluster.kubectl("delete", "sp", "life-in-subnet", "--timeout=60s").ok();
        await().atMost(Duration.ofSeconds(60)).until(() ->
                cluster.kubectl("get", "ss", "life-subnet", "--ignore-not-found", "-o", "name").out().isBlank());
    }

    @Test
    void aDeploymentWithAMalformedIpamAnnotationIsRefusedWhenApplied() {
        var r = cluster.kubectlApply(Yaml.deployment("life", "typo", 1, "{\"ipv4\":\"life-a\"}"));
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("spec.template.metadata.annotations") && r.err().contains("ipam.spidernet.io/ippool")
                && r.err().contains("expected JSON like"), r.err());
        var n = cluster.kubectlApply(Yaml.deployment("life", "typo2", 1, null).replace("spinneret.dev/test: \"true\"",
                "ipam.spidernet.io/ippool-ip-number: \"++2\""));
        assertNotEquals(0, n.code());
        assertTrue(n.err().contains("ippool-ip-number") && n.err().contains("'++2'"), n.err());
    }

    @Test
    void theReservationCannotBeEditedAfterAdmission() {
        cluster.kubectlApply(Yaml.pool("life-edit", "10.74.0.0/16", "10.74.0.1-10.74.0.5")).ok();
        cluster.kubectlApply(pod("edited", "ipam.spidernet.io/ippool: '{\"ipv4\":[\"life-edit\"]}'", "{}")).ok();
        // a cluster-admin who is not Spinneret (the harness runs Spinneret as "admin", whom the policy lets edit)
        var r = cluster.kubectl("--as=another-admin", "--as-group=system:masters", "annotate", "pod", "edited", "-n",
                "life", "--overwrite", "ipam.spidernet.io/reserved-ips={\"id\":\"x\",\"interfaces\":[]}");
        assertNotEquals(0, r.code());
        assertTrue(r.err().contains("only Spinneret may change or remove them") || r.err().contains("cannot be changed"),
                r.err());
        var l = cluster.kubectl("--as=another-admin", "--as-group=system:masters", "label", "pod", "edited", "-n",
                "life", "ipam.spidernet.io/reservation-id-");
        assertNotEquals(0, l.code());
        assertTrue(l.err().contains("only Spinneret may change or remove them") || l.err().contains("cannot be removed"),
                l.err());
    }
}
