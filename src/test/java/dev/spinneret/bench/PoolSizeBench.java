package dev.spinneret.bench;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderIPPoolStatus;
import dev.spinneret.e2e.BenchCluster;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Reservation latency and pool object size by pool size and fill level, against the real API server: pools of a
 * /24, /16, /8 (IPv4) and a /64 (IPv6) are pre-filled with 0, 10,000 and 65,536 allocations (as many as fit), then
 * P pods are created one by one and their admission latency is read from the service's histogram. The pool's size
 * is the length of its JSON as the API server returns it (custom resources are stored as JSON in etcd).
 *
 * <pre>bench/run.sh PoolSizeBench [P=50] [SHAPES=/24,/16,/8,/64]</pre>
 */
public final class PoolSizeBench {
    record Shape(String label, String cidr, String first, String last) {
        /** The k-th non-overlapping pool of this shape (every point of the benchmark gets its own CIDR). */
        static Shape of(String label, int k) {
            return switch (label) {
                case "/24" -> new Shape(label, "10.210." + k + ".0/24", "10.210." + k + ".1", "10.210." + k + ".254");
                case "/16" -> new Shape(label, "10." + (211 + k) + ".0.0/16", "10." + (211 + k) + ".0.1",
                        "10." + (211 + k) + ".255.254");
                case "/8" -> new Shape(label, (11 + k) + ".0.0.0/8", (11 + k) + ".0.0.1", (11 + k) + ".255.255.254");
                default -> new Shape(label, "fd00:5:5:" + (k + 1) + "::/64", "fd00:5:5:" + (k + 1) + "::1",
                        "fd00:5:5:" + (k + 1) + ":ffff:ffff:ffff:fffe");
            };
        }
    }

    public static void main(String[] args) {
        BenchMain.run(args, PoolSizeBench::run);
    }

    static void run(String[] args) throws Exception {
        int pods = args.length > 0 ? PodAdmissionBench.positive(args[0], "P (pods per point)") : 50;
        List<String> shapes = args.length > 1 ? List.of(args[1].split(",")) : List.of("/24", "/16", "/8", "/64");
        BenchCluster cluster = BenchCluster.start(1);
        KubernetesClient client = cluster.client(16);
        StringBuilder report = new StringBuilder("# Reservation latency and pool object size by pool size\n\n")
                .append("Date ").append(LocalDate.now()).append(", ").append(Runtime.getRuntime().availableProcessors())
                .append(" cores, Kubernetes v1.36.3, 1 Spinneret instance; ").append(pods)
                .append(" pods created one at a time per point (after a 20-pod warm-up); CPU per pod from /proc ")
                .append("deltas over those pods (reservation only: the pods are deleted after the point)\n\n")
                .append("| pool | allocated before | pool JSON before | pool JSON after | admission p50 | admission p99 | wall per pod (median) | service CPU per pod | apiserver CPU per pod | etcd WAL bytes per pod | load avg |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        int k = 0;
        for (String label : shapes) {
            int point = 0;
            for (int fill : new int[] { 0, 10_000, 65_536 }) {
                Shape shape = Shape.of(label, point++);
                long usable = Cidr.parse(shape.cidr()).size().min(java.math.BigInteger.valueOf(1L << 40)).longValue() - 2;
                if (fill + pods + 20 > usable) {
                    continue;
                }
                String pool = "size-" + (k++);
                createPool(client, pool, shape);
                prefill(client, pool, shape, fill);
                long before = jsonSize(cluster, pool);
                String ns = "size-ns-" + k;
                cluster.namespace(ns, pool, shape.cidr().contains(":"));
                createPods(client, ns, 20, "warm");
                cluster.resetAdmissionMetrics();
                String load = BenchCluster.loadAverage();
                BenchCluster.Sample t0 = cluster.sample();
                List<Double> wall = createPods(client, ns, pods, "p");
                BenchCluster.Sample cost = cluster.sample().minus(t0);
                double[] q = cluster.admissionQuantiles("mutate-pod");
                long after = jsonSize(cluster, pool);
                Collections.sort(wall);
                String line = String.format(Locale.ROOT,
                        "| %s | %,d | %,d B | %,d B | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %,.0f B | %s |%n",
                        shape.label(), fill, before, after, q[0], q[1], wall.get(wall.size() / 2),
                        cost.serviceCpu() * 1000 / pods, cost.apiserverCpu() * 1000 / pods,
                        cost.etcdWalBytes() / pods, load);
                System.out.print(line);
                report.append(line);
                cluster.deleteNamespace(ns);
            }
        }
        BenchMain.writeReport("pool-size", report);
        client.close();
        cluster.stop();
    }

    static void createPool(KubernetesClient client, String name, Shape s) {
        SpiderIPPool p = new SpiderIPPool();
        p.setMetadata(new ObjectMetaBuilder().withName(name).build());
        p.setSpec(new SpiderIPPoolSpec());
        p.getSpec().subnet = s.cidr();
        p.getSpec().ips = List.of(s.first() + "-" + s.last());
        client.resource(p).create();
    }

    /** Writes a ledger of {@code fill} consecutive allocations (ids like Spinneret's: 12 base-36 characters). */
    static void prefill(KubernetesClient client, String name, Shape s, int fill) {
        IpAddress first = IpAddress.parse(s.first());
        TreeMap<IpAddress, String> entries = new TreeMap<>();
        for (int i = 0; i < fill; i++) {
            entries.put(first.plus(i), String.format("%12s", Long.toString(i * 7919L + 1_000_000_000L, 36))
                    .replace(' ', '0'));
        }
        AllocationLedger ledger = AllocationLedger.of(first.family(), entries);
        for (int attempt = 0; attempt < 20; attempt++) {
            SpiderIPPool p = client.resources(SpiderIPPool.class).withName(name).get();
            SpiderIPPoolStatus st = p.getStatus() == null ? new SpiderIPPoolStatus() : p.getStatus();
            st.allocatedIPs = ledger.encode();
            st.allocatedIPCount = (long) fill;
            st.lastAllocatedIP = fill == 0 ? null : first.plus(fill - 1).toString();
            p.setStatus(st);
            try {
                client.resource(p).updateStatus();
                return;
            } catch (RuntimeException e) {
                sleep(200);
            }
        }
        throw new IllegalStateException("could not pre-fill " + name);
    }

    static long jsonSize(BenchCluster cluster, String pool) {
        return cluster.rawLength("/apis/spiderpool.spidernet.io/v2beta1/spiderippools/" + pool);
    }

    static List<Double> createPods(KubernetesClient client, String ns, int n, String prefix) {
        List<Double> wall = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName(prefix + i)
                    .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer()
                    .endSpec().build()).create();
            wall.add((System.nanoTime() - t0) / 1e6);
        }
        return wall;
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
