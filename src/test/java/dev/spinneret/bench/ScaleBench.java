package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import dev.spinneret.ledger.Ledgers;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Many pools, many pods, several replicas: P pools (one namespace each, the pool its default), R Spinneret
 * replicas behind the round-robin proxy, and N pods created at concurrency C spread over the namespaces — pool 0
 * takes a tenth of them (the largest pool), the others share the rest. A run of N/10 pods in the same set-up comes
 * first, so the admission p50 of N pods can be compared with it. Reported: throughput, client-side and service-side
 * admission p50/p99, CPU per pod (Spinneret replicas, kube-apiserver, etcd) and etcd WAL bytes per pod, RSS and heap
 * of each replica with every pod present, and reserve / release time of single pods in the largest pool while it
 * holds its share.
 *
 * <pre>bench/run.sh ScaleBench [N=10000] [POOLS=100] [REPLICAS=2] [C=32]</pre>
 */
public final class ScaleBench {
    public static void main(String[] args) {
        BenchMain.run(args, ScaleBench::main0);
    }

    static void main0(String[] args) throws Exception {
        int n = args.length > 0 ? PodAdmissionBench.positive(args[0], "N (pods)") : 10_000;
        int pools = args.length > 1 ? PodAdmissionBench.positive(args[1], "POOLS") : 100;
        int replicas = args.length > 2 ? PodAdmissionBench.positive(args[2], "REPLICAS") : 2;
        int c = args.length > 3 ? PodAdmissionBench.positive(args[3], "C (concurrency)") : 32;
        if (pools < 2 || pools > 150) {
            throw new IllegalArgumentException("POOLS must be 2 to 150 (one /16 each), got " + pools);
        }
        int[] share = shares(n, pools);
        BenchCluster cluster = BenchCluster.start(replicas);
        KubernetesClient client = cluster.client(256);
        for (int i = 0; i < pools; i++) {
            cluster.preparePool(pool(i), share[i] + 60);
            cluster.namespace(ns(i), pool(i));
        }
        StringBuilder report = new StringBuilder("# Scale: ").append(String.format(Locale.ROOT, "%,d", n))
                .append(" pods across ").append(pools).append(" pools, ").append(replicas).append(" replicas\n\n")
                .append("Date ").append(java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).withNano(0))
                .append(", machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (shared), ")
                .append(System.getProperty("java.version")).append(", Kubernetes v1.36.3 (etcd 3.6.16); ")
                .append(replicas).append(" Spinneret replicas (JVM options: ")
                .append(String.join("; ", cluster.serviceJvmOptions()))
                .append(") behind a round-robin TCP proxy; pods created at concurrency ").append(c)
                .append("; pool 0 (the largest) takes ").append(share[0]).append(" pods, the others ")
                .append(share[pools - 1]).append("–").append(share[1]).append(" each. A warm-up of 300 pods ")
                .append("precedes the runs.\n\n")
                .append("| pods | pods/s | create p50/p99 (client) | admission p50/p99 (service) | service CPU per pod ")
                .append("(admit / admit+delete+release) | apiserver CPU per pod | etcd CPU per pod | ")
                .append("etcd WAL bytes per pod | watch events per pod | ledger writes per pod | load avg |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        // warm-up: JIT of every replica, caches of the API server
        int[] warm = shares(300, pools);
        phase(cluster, client, warm, c, "warm");
        release(cluster, pools);
        List<String> lines = new ArrayList<>();
        List<Double> p50s = new ArrayList<>();
        String memory = "";
        String largest = "";
        for (int total : new int[] { n / 10, n }) {
            int[] s = shares(total, pools);
            String load = BenchCluster.loadAverage();
            cluster.resetAdmissionMetrics();
            BenchCluster.Sample t0 = cluster.sample();
            double[] created = phase(cluster, client, s, c, "p" + total);
            BenchCluster.Sample admitted = cluster.sample().minus(t0);
            double[] q = cluster.admissionQuantiles("mutate-pod");
            if (total == n) {
                memory = memory(cluster);
                largest = largestPool(cluster, client, s[0]);
            }
            release(cluster, pools);
            BenchCluster.Sample all = cluster.sample().minus(t0);
            String line = String.format(Locale.ROOT,
                    "| %,d | %.1f | %.1f / %.1f ms | %.1f / %.1f ms | %.2f / %.2f ms | %.2f ms | %.2f ms | %,.0f B | %.1f | %.2f | %s |%n",
                    total, created[0], created[1], created[2], q[0], q[1], admitted.serviceCpu() * 1000 / total,
                    all.serviceCpu() * 1000 / total, all.apiserverCpu() * 1000 / total,
                    all.etcdCpu() * 1000 / total, all.etcdWalBytes() / total, all.watchEvents() / total,
                    all.ledgerWrites() / total, load);
            System.out.print(line);
            lines.add(line);
            p50s.add(q[0]);
        }
        lines.forEach(report::append);
        report.append("\nWith all ").append(String.format(Locale.ROOT, "%,d", n)).append(" pods present: ")
                .append(memory).append("\n\n").append(largest)
                .append(String.format(Locale.ROOT, "%nAdmission p50 (service) of %,d pods / of %,d pods: %.2f "
                        + "(target <= 1.5).%n", n, n / 10, p50s.get(1) / p50s.get(0)));
        BenchMain.writeReport("scale-n" + n + "-pools" + pools + "-r" + replicas, report);
        client.close();
        cluster.stop();
    }

    static String pool(int i) {
        return "scale-" + i;
    }

    static String ns(int i) {
        return "scale-" + i;
    }

    /** Pool 0 takes a tenth of the pods, the others share the rest as evenly as possible. */
    static int[] shares(int n, int pools) {
        int[] s = new int[pools];
        s[0] = Math.max(1, n / 10);
        int rest = n - s[0];
        for (int i = 1; i < pools; i++) {
            s[i] = rest / (pools - 1) + (i <= rest % (pools - 1) ? 1 : 0);
        }
        return s;
    }

    /** Creates share[i] pods in namespace i, interleaved across namespaces; returns pods/s, p50 and p99 in ms. */
    static double[] phase(BenchCluster cluster, KubernetesClient client, int[] share, int c, String tag)
            throws Exception {
        List<String[]> work = new ArrayList<>();
        int[] left = share.clone();
        for (boolean any = true; any;) {
            any = false;
            for (int i = 0; i < left.length; i++) {
                if (left[i] > 0) {
                    work.add(new String[] { ns(i), tag + "-" + left[i]-- });
                    any = true;
                }
            }
        }
        PodAdmissionBench.Created created = PodAdmissionBench.createAll(client, work, c, tag);
        return new double[] { work.size() / created.seconds(), created.quantile(0.5), created.quantile(0.99) };
    }

    /** Deletes every pod (not the namespaces) and waits until every pool's ledger is empty. */
    static void release(BenchCluster cluster, int pools) {
        for (int i = 0; i < pools; i++) {
            cluster.kubectl(null, "delete", "pods", "--all", "-n", ns(i), "--wait=false").ok();
        }
        for (int i = 0; i < pools; i++) {
            cluster.awaitPoolEmpty(pool(i), 600_000);
        }
    }

    static String memory(BenchCluster cluster) {
        StringBuilder sb = new StringBuilder();
        List<long[]> rss = cluster.serviceRss();
        List<String> metrics = cluster.serviceMetrics();
        List<Double> cpu = cluster.serviceCpuSeconds();
        List<String> opts = cluster.serviceJvmOptions();
        for (int i = 0; i < rss.size(); i++) {
            double heap = i < metrics.size()
                    ? BenchCluster.metric(metrics.get(i), "jvm_memory_used_bytes", "area=\"heap\"") / (1 << 20) : -1;
            sb.append(String.format(Locale.ROOT, "replica %d RSS %d MiB (peak %d MiB), heap used %.0f MiB, "
                    + "CPU since start %.1f s (%s); ", i + 1, rss.get(i)[0], rss.get(i)[1], heap, cpu.get(i),
                    opts.get(i)));
        }
        return sb.toString();
    }

    /** Reserve and release of single pods in pool 0 while it holds its share: 20 of each, one at a time. */
    static String largestPool(BenchCluster cluster, KubernetesClient client, int held) throws Exception {
        String ns = ns(0);
        double[] reserve = new double[20];
        double[] release = new double[20];
        for (int i = 0; i < 20; i++) {
            long s = System.nanoTime();
            client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("single-" + i)
                    .endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer()
                    .endSpec().build()).create();
            reserve[i] = (System.nanoTime() - s) / 1e6;
        }
        for (int i = 0; i < 20; i++) {
            long before = allocated(client, pool(0));
            long s = System.nanoTime();
            client.pods().inNamespace(ns).withName("single-" + i).withGracePeriod(0).delete();
            while (allocated(client, pool(0)) >= before) {
                if (System.nanoTime() - s > 60e9) {
                    throw new IllegalStateException("release in " + pool(0) + " took over 60 s");
                }
                Thread.sleep(5);
            }
            release[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(reserve);
        Arrays.sort(release);
        return String.format(Locale.ROOT, "Largest pool (%s, %,d addresses held): single-pod create with reservation "
                + "p50 %.1f ms (max %.1f ms); delete until the address is back in the ledger p50 %.1f ms (max %.1f "
                + "ms), 20 of each, one at a time.%n", pool(0), held, reserve[10], reserve[19], release[10],
                release[19]);
    }

    /**
     * Addresses held in the pool, counted from its blocks (the ledger itself): {@code status.allocatedIPCount} is
     * written by a coalescing writer about a second behind, which would time the coalescing, not the release.
     */
    static long allocated(KubernetesClient client, String pool) {
        String ledger = Ledgers.of(client, pool);
        return ledger.isEmpty() ? 0 : ledger.split(",").length;
    }
}
