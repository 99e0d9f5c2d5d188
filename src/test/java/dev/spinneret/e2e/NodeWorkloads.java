package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.fabric8.kubernetes.api.model.Pod;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Namespaces, pools and busybox workloads on the real nodes of {@link NodeCluster}, shared by the *NodesIT classes. */
final class NodeWorkloads {
    /** Generous: a shared 2-core CI machine, with every other engineer's build on it. */
    static final Duration RUNNING = Duration.ofSeconds(300);

    private NodeWorkloads() {
    }

    private static NodeCluster c() {
        return NodeCluster.get();
    }

    /** A namespace ready for pods (its default ServiceAccount exists). */
    static void namespace(String ns) {
        TestNamespace.create(c(), ns);
    }

    /** A namespace and a pool of the same name in the nodes' subnet (10.244.0.0/16) with these addresses. */
    static void namespaceWithPool(String name, String ips) {
        TestNamespace.createWithPool(c(), name, name, "10.244.0.0/16", ips);
    }

    /** A busybox workload (httpd on :80), spread over both nodes, with these pod-template annotations. */
    static String workload(String kind, String ns, String name, int replicas, String... annotations) {
        return new Yaml.Workload(kind, ns, name, replicas).annotations(annotations).orderedReady().podSpec("""
                terminationGracePeriodSeconds: 1
                topologySpreadConstraints:
                - maxSkew: 1
                  topologyKey: kubernetes.io/hostname
                  whenUnsatisfiable: ScheduleAnyway
                  labelSelector:
                    matchLabels:
                      app: %s
                containers:
                - name: app
                  image: localhost/spinneret/busybox:dev
                  imagePullPolicy: Never
                  command: ["httpd", "-f", "-p", "80"]
                """.formatted(name)).yaml();
    }

    static List<Pod> running(String ns, String app) {
        return c().pods(ns, "app=" + app).stream().filter(NodeCluster::running).toList();
    }

    static List<Pod> awaitRunning(String ns, String app, int n) {
        NodeCluster.await(n + " Running pods of " + ns + "/" + app, RUNNING, () -> {
            List<Pod> all = c().pods(ns, "app=" + app);
            return all.size() == n && all.stream().allMatch(NodeCluster::running);
        });
        return running(ns, app);
    }

    /** The address the kubelet reports is the one Spinneret reserved at admission. */
    static void assertPodIpIsTheReservation(Pod p) {
        String reserved = Pods.ipv4(p);
        assertNotNull(reserved, p.getMetadata().getName() + " has no reservation");
        assertEquals(reserved, p.getStatus().getPodIP(), p.getMetadata().getName());
        assertEquals(reserved, p.getStatus().getPodIPs().get(0).getIp(), p.getMetadata().getName());
    }

    static Map<String, String> ipsByName(List<Pod> pods) {
        Map<String, String> m = new HashMap<>();
        pods.forEach(p -> m.put(p.getMetadata().getName(), p.getStatus().getPodIP()));
        return m;
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * A pod {@code name} in kube-system (which the pod webhook never sees) carrying a verbatim copy of {@code victim}'s
     * reservation annotation and label, plus {@code extraAnnotations} (YAML lines at the annotations' indentation).
     */
    static String copyOfReservation(Pod victim, String name, String extraAnnotations) {
        String id = victim.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id");
        String annotation = victim.getMetadata().getAnnotations().get("ipam.spidernet.io/reserved-ips");
        return """
                apiVersion: v1
                kind: Pod
                metadata:
                  name: %s
                  namespace: kube-system
                  labels: {app: forger, ipam.spidernet.io/reservation-id: "%s"}
                  annotations:
                    ipam.spidernet.io/reserved-ips: '%s'
                %s
                spec:
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: app
                    image: localhost/spinneret/busybox:dev
                    imagePullPolicy: Never
                    command: ["httpd", "-f", "-p", "80"]
                """.formatted(name, id, annotation.replace("'", "''"), extraAnnotations);
    }
}
