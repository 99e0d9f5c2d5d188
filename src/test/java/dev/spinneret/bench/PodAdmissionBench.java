package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission overhead against the real control plane: N pods created through the API at concurrency C into a pool
 * of exactly N addresses, with Spinneret's pod webhook, then the same with the pod webhook unregistered (the API
 * server's own limit here), alternating for R rounds. Admission p50/p99 come from the service's own histogram.
 *
 * <pre>
 * mvn -B -q package -DskipTests && mvn -B -q test-compile
 * java -cp "target/test-classes:target/classes:$(cat target/bench.cp)" dev.spinneret.bench.PodAdmissionBench [N] [C...]
 * </pre>
 * (or simply {@code bench/run-pod-admission.sh N C1,C2 ROUNDS}). Writes bench/results/&lt;date&gt;-pod-admission.md.
 */
public final class PodAdmissionBench {
    public static void main(String[] args) {
        BenchMain.run(args, PodAdmissionBench::main0);
    }

    /** One measured run of one path: throughput, client-side latencies, and what it cost until every pod was gone. */
    record Run(double podsPerSecond, double clientP50, double clientP99, BenchCluster.Sample cost, int pods) {
        double perPodMs(double seconds) {
            return seconds * 1000 / pods;
        }
    }

    static void main0(String[] args) throws Exception {
        int n = args.length > 0 ? positive(args[0], "N (pods per run)") : 1000;
        List<Integer> concurrency = new ArrayList<>();
        for (String c : (args.length > 1 ? args[1] : "1,8,32").split(",")) {
            concurrency.add(positive(c, "concurrency"));
        }
        int rounds = args.length > 2 ? positive(args[2], "rounds") : 3;
        if (n > 60000) {
            throw new IllegalArgumentException("N must be at most 60000 (one /16 pool), got " + n);
        }
        String label = System.getenv().getOrDefault("SPINNERET_BENCH_LABEL", "");
        BenchCluster cluster = BenchCluster.start(1);
        KubernetesClient client = cluster.client(256);
        StringBuilder report = new StringBuilder();
        report.append("# Pod admission: Spinneret's webhook against the API server's own limit")
                .append(label.isEmpty() ? "" : " (" + label + ")").append("\n\n")
                .append("Date ").append(java.time.OffsetDateTime.now(java.time.ZoneOffset.UTC).withNano(0))
                .append(", machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (shared), ")
                .append(System.getProperty("java.version")).append(", Kubernetes v1.36.3 (etcd 3.6.16), ")
                .append("1 Spinneret instance; N=").append(n).append(", ").append(rounds)
                .append(" rounds after a warm-up of ").append(System.getenv().getOrDefault("SPINNERET_BENCH_WARMUP", "300"))
                .append(" pods through the webhook and 300 without; pool of exactly N addresses per run. ")
                .append("Each run ends when the namespace is deleted and every address is back in the pool, so the ")
                .append("costs per pod include the pod's deletion and the release of its address.\n\n")
                .append("| concurrency | round | with webhook pods/s | without pods/s | ratio | create p50/p99 with | ")
                .append("create p50/p99 without | admission p50/p99 (service) | load avg |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        StringBuilder costs = new StringBuilder("\n## Cost per pod (create + delete + release)\n\n")
                .append("| concurrency | round | service CPU | of which app / JIT / GC+VM | apiserver CPU with / without | etcd CPU with / without | ")
                .append("etcd WAL bytes with / without | watch events received by the service | ledger writes |\n")
                .append("|---|---|---|---|---|---|---|---|---|\n");
        // warm-up (not reported): the service's JIT and the API server's caches, both paths
        int warm = Integer.parseInt(System.getenv().getOrDefault("SPINNERET_BENCH_WARMUP", "300"));
        for (int done = 0, k = 1; done < warm; done += Math.min(n, warm - done), k++) {
            run(cluster, client, Math.min(n, warm - done), 8, true, "warm" + k);
        }
        run(cluster, client, Math.min(n, 300), 8, false, "warm0");
        List<double[]> summary = new ArrayList<>();
        for (int c : concurrency) {
            for (int round = 1; round <= rounds; round++) {
                String load = BenchCluster.loadAverage();
                cluster.resetAdmissionMetrics();
                Run with = run(cluster, client, n, c, true, "w" + c + "r" + round);
                double[] q = cluster.admissionQuantiles("mutate-pod");
                Run without = run(cluster, client, n, c, false, "n" + c + "r" + round);
                String line = String.format(Locale.ROOT,
                        "| %d | %d | %.1f | %.1f | %.2f | %.1f / %.1f ms | %.1f / %.1f ms | %.1f / %.1f ms | %s |%n",
                        c, round, with.podsPerSecond(), without.podsPerSecond(),
                        with.podsPerSecond() / without.podsPerSecond(), with.clientP50(), with.clientP99(),
                        without.clientP50(), without.clientP99(), q[0], q[1], load);
                BenchCluster.Sample w = with.cost();
                BenchCluster.Sample o = without.cost();
                String cost = String.format(Locale.ROOT,
                        "| %d | %d | %.2f ms | %.2f / %.2f / %.2f ms | %.2f / %.2f ms | %.2f / %.2f ms | %,.0f / %,.0f B "
                                + "| %.1f | %.2f |%n", c, round,
                        with.perPodMs(w.serviceCpu()), with.perPodMs(w.serviceAppCpu()),
                        with.perPodMs(w.serviceJitCpu()), with.perPodMs(w.serviceGcCpu()), with.perPodMs(w.apiserverCpu()),
                        without.perPodMs(o.apiserverCpu()), with.perPodMs(w.etcdCpu()), without.perPodMs(o.etcdCpu()),
                        w.etcdWalBytes() / n, o.etcdWalBytes() / n, w.watchEvents() / n, w.ledgerWrites() / n);
                System.out.print(line);
                System.out.print(cost);
                report.append(line);
                costs.append(cost);
                summary.add(new double[] { c, with.perPodMs(w.serviceCpu()),
                        with.podsPerSecond() / without.podsPerSecond(), q[1], w.etcdWalBytes() / n,
                        with.perPodMs(w.serviceAppCpu()) });
            }
        }
        report.append(costs).append("\n## Ranges over the rounds\n\n");
        for (int c : concurrency) {
            List<double[]> at = summary.stream().filter(r -> r[0] == c).toList();
            report.append(String.format(Locale.ROOT, "- concurrency %d: service CPU %s ms per pod (target <= 1; %s ms "
                    + "outside JIT and GC), throughput ratio %s (target >= 0.7), admission p99 %s ms (target <= 50), "
                    + "etcd WAL %s B per pod%n", c, range(at, 1, "%.2f"), range(at, 5, "%.2f"), range(at, 2, "%.2f"),
                    range(at, 3, "%.1f"), range(at, 4, "%,.0f")));
        }
        report.append("\nRSS and CPU of the service after the run: ").append(cluster.serviceUsage()).append("\n");
        BenchMain.writeReport("pod-admission-n" + n + "-c"
                + String.join("-", concurrency.stream().map(String::valueOf).toList())
                + (label.isEmpty() ? "" : "-" + label), report);
        client.close();
        cluster.stop();
    }

    static Run run(BenchCluster cluster, KubernetesClient client, int n, int c, boolean webhook, String tag)
            throws Exception {
        String ns = "bench-" + tag;
        String pool = "bench-" + tag;
        cluster.preparePool(pool, n);
        cluster.namespace(ns, pool);
        cluster.podWebhook(webhook);
        List<String[]> work = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            work.add(new String[] { ns, "p" + i });
        }
        BenchCluster.Sample before = cluster.sample();
        Created created = createAll(client, work, c, tag);
        cluster.deleteNamespace(ns);
        cluster.awaitReleased(pool, ns, 600_000);
        BenchCluster.Sample cost = cluster.sample().minus(before);
        return new Run(n / created.seconds(), created.quantile(0.5), created.quantile(0.99), cost, n);
    }

    /** Wall time of a batch of creates and each create's latency (ms, sorted). */
    record Created(double seconds, double[] latencies) {
        double quantile(double q) {
            return latencies[(int) Math.floor(q * (latencies.length - 1))];
        }
    }

    /** Creates a minimal pod for each (namespace, name) at concurrency c; any failure fails the run. */
    static Created createAll(KubernetesClient client, List<String[]> work, int c, String tag) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(c);
        AtomicInteger failed = new AtomicInteger();
        double[] lat = new double[work.size()];
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int k = 0; k < work.size(); k++) {
            int j = k;
            fs.add(ex.submit(() -> {
                String[] w = work.get(j);
                Pod p = new PodBuilder().withNewMetadata().withName(w[1]).withNamespace(w[0]).endMetadata()
                        .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                        .build();
                long s = System.nanoTime();
                try {
                    client.pods().inNamespace(w[0]).resource(p).create();
                } catch (RuntimeException e) {
                    if (failed.incrementAndGet() <= 3) {
                        System.err.println("create failed: " + e.getMessage());
                    }
                }
                lat[j] = (System.nanoTime() - s) / 1e6;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        ex.shutdown();
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + work.size() + " pod creates failed in " + tag);
        }
        java.util.Arrays.sort(lat);
        return new Created(secs, lat);
    }

    static String range(List<double[]> rows, int col, String fmt) {
        double lo = rows.stream().mapToDouble(r -> r[col]).min().orElse(Double.NaN);
        double hi = rows.stream().mapToDouble(r -> r[col]).max().orElse(Double.NaN);
        return String.format(Locale.ROOT, fmt, lo) + "–" + String.format(Locale.ROOT, fmt, hi);
    }

    static int positive(String s, String what) {
        try {
            int v = Integer.parseInt(s.trim());
            if (v > 0) {
                return v;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException(what + " must be a positive integer, got \"" + s + "\"");
    }

    /** Quantiles from Prometheus histogram buckets (cumulative counts by upper bound, seconds). */
    static double[] quantiles(TreeMap<Double, Double> buckets) {
        double total = buckets.isEmpty() ? 0 : buckets.lastEntry().getValue();
        double[] out = new double[2];
        double[] qs = { 0.5, 0.99 };
        for (int i = 0; i < qs.length; i++) {
            double want = qs[i] * total;
            double prevLe = 0;
            double prevCount = 0;
            for (var e : buckets.entrySet()) {
                if (e.getValue() >= want) {
                    double span = e.getValue() - prevCount;
                    double frac = span <= 0 ? 1 : (want - prevCount) / span;
                    double le = Double.isInfinite(e.getKey()) ? prevLe : e.getKey();
                    out[i] = (prevLe + frac * (le - prevLe)) * 1000;
                    break;
                }
                prevLe = e.getKey();
                prevCount = e.getValue();
            }
        }
        return out;
    }

    static String get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
