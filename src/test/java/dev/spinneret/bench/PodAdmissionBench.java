package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.LocalDate;
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
        BenchCluster cluster = BenchCluster.start(1);
        KubernetesClient client = cluster.client(256);
        StringBuilder report = new StringBuilder();
        report.append("# Pod admission: Spinneret's webhook against the API server's own limit\n\n")
                .append("Date ").append(LocalDate.now()).append(", machine: ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(System.getProperty("java.version")).append(", Kubernetes v1.36.3 (etcd 3.6.16), ")
                .append("1 Spinneret instance; N=").append(n).append(", ").append(rounds)
                .append(" rounds after a 300-pod warm-up of each path; pool of exactly N addresses per run\n\n")
                .append("| concurrency | round | with webhook pods/s | without pods/s | ratio | 1000-pod time with webhook | admission p50 | admission p99 |\n")
                .append("|---|---|---|---|---|---|---|---|\n");
        // warm-up (not reported): the service's JIT and the API server's caches, both paths
        run(cluster, client, Math.min(n, 300), 8, true, "warm1");
        run(cluster, client, Math.min(n, 300), 8, false, "warm2");
        for (int c : concurrency) {
            for (int round = 1; round <= rounds; round++) {
                cluster.resetAdmissionMetrics();
                double with = run(cluster, client, n, c, true, "w" + c + "r" + round);
                double[] q = cluster.admissionQuantiles("mutate-pod");
                double without = run(cluster, client, n, c, false, "n" + c + "r" + round);
                String line = String.format(Locale.ROOT, "| %d | %d | %.1f | %.1f | %.2f | %.1f s | %.1f ms | %.1f ms |%n",
                        c, round, with, without, with / without, 1000 / with, q[0], q[1]);
                System.out.print(line);
                report.append(line);
            }
        }
        report.append("\nRSS and CPU of the service after the run: ").append(cluster.serviceUsage()).append("\n");
        BenchMain.writeReport("pod-admission-n" + n + "-c"
                + String.join("-", concurrency.stream().map(String::valueOf).toList()), report);
        client.close();
        cluster.stop();
    }

    static double run(BenchCluster cluster, KubernetesClient client, int n, int c, boolean webhook, String tag)
            throws Exception {
        String ns = "bench-" + tag;
        String pool = "bench-" + tag;
        cluster.preparePool(pool, n);
        cluster.namespace(ns, pool);
        cluster.podWebhook(webhook);
        ExecutorService ex = Executors.newFixedThreadPool(c);
        AtomicInteger failed = new AtomicInteger();
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(ex.submit(() -> {
                Pod p = new PodBuilder().withNewMetadata().withName("p" + k).withNamespace(ns).endMetadata()
                        .withNewSpec().addNewContainer().withName("c").withImage("nginx").endContainer().endSpec()
                        .build();
                try {
                    client.pods().inNamespace(ns).resource(p).create();
                } catch (RuntimeException e) {
                    if (failed.incrementAndGet() <= 3) {
                        System.err.println("create failed: " + e.getMessage());
                    }
                }
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        ex.shutdown();
        if (failed.get() > 0) {
            throw new IllegalStateException(failed.get() + " of " + n + " pod creates failed in " + tag);
        }
        cluster.deleteNamespace(ns);
        return n / secs;
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
