package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * One IPAM system in its own control plane, doing {@link FairBench}'s unit of work: per pod, the pod create through the
 * API (whatever admission the system installs sees it) followed by its CNI plugin's ADD for that pod, N pods at
 * concurrency C. Everything the system needs per run (a pool of exactly N addresses, a namespace) is made before the
 * timed part and removed after it.
 */
abstract class FairSide implements AutoCloseable {
    final String name;
    final BenchCluster cluster;
    final KubernetesClient client;
    final Path work;

    FairSide(String name, BenchCluster cluster, Path work) {
        this.name = name;
        this.cluster = cluster;
        this.client = cluster.client(64);
        this.work = work;
    }

    /**
     * Seconds after the last pod before the cost is read: the work the pods set off that trails the last ADD (Spinneret
     * writes pool counts about a second behind, controllers react to the new pods) is part of what they cost.
     */
    static final long SETTLE_MS = 2000;

    /** One measured run: pods/s, per-pod wall time (create + ADD) in ns, and what it cost the cluster. */
    record Run(double perSec, long[] perPod, ClusterCost cost, Map<String, Double> requests, String load) {
    }

    /** A namespace (and a pool of exactly n addresses) for one run; {@code tag} is unique per run. */
    abstract String prepare(String tag, int n) throws Exception;

    /** The CNI ADD of the system's plugin for pod {@code ns/pod}; fails unless the result carries an address. */
    abstract void add(String ns, String pod, String uid, String containerId) throws Exception;

    /** Checks that the run left n allocations, then removes the run's namespace and pool (not timed). */
    abstract void cleanUp(String ns, int n) throws Exception;

    /** The system's long-running processes on this machine (none for Whereabouts). */
    abstract List<String> daemonPids();

    /** Version and build of what runs, for the report. */
    abstract String describe();

    Run run(int n, int c, String tag) throws Exception {
        String ns = prepare(tag, n);
        String load = BenchSupport.loadavg().split(" ")[0];
        ExecutorService ex = Executors.newFixedThreadPool(c);
        long[] perPod = new long[n];
        List<Future<?>> fs = new ArrayList<>();
        Map<String, Double> requestsBefore = ApiRequests.sample(client);
        ClusterCost before = ClusterCost.sample(cluster, daemonPids());
        long t0 = System.nanoTime();
        for (int i = 0; i < n; i++) {
            int k = i;
            fs.add(ex.submit(() -> {
                long s = System.nanoTime();
                String uid = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p" + k)
                        .withNamespace(ns).endMetadata().withNewSpec().addNewContainer().withName("c")
                        .withImage("nginx").endContainer().endSpec().build()).create().getMetadata().getUid();
                add(ns, "p" + k, uid, name.toLowerCase() + "-" + tag + "-" + k);
                perPod[k] = System.nanoTime() - s;
                return null;
            }));
        }
        try {
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            ex.shutdownNow();
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Thread.sleep(SETTLE_MS);
        ClusterCost cost = ClusterCost.sample(cluster, daemonPids()).minus(before).per(n);
        Map<String, Double> requests = ApiRequests.perPod(requestsBefore, ApiRequests.sample(client), n);
        cleanUp(ns, n);
        return new Run(n / secs, perPod, cost, requests, load);
    }

    /** A namespace with no annotation, once its default ServiceAccount exists (pods are refused before). */
    void plainNamespace(String ns) throws InterruptedException {
        cluster.kubectl(null, "create", "namespace", ns).ok();
        for (int i = 0; i < 120 && cluster.kubectl(null, "get", "sa", "default", "-n", ns).code() != 0; i++) {
            Thread.sleep(500);
        }
    }

    /** CPU seconds per second that the idle cluster (control plane + daemons) uses, over {@code ms}. */
    double idleCpuPerSecond(long ms) throws InterruptedException {
        ClusterCost before = ClusterCost.sample(cluster, daemonPids());
        Thread.sleep(ms);
        ClusterCost d = ClusterCost.sample(cluster, daemonPids()).minus(before);
        return (d.daemonCpu() + d.apiserverCpu() + d.etcdCpu()) / (ms / 1000.0);
    }

    @Override
    public void close() {
        client.close();
        cluster.stop();
    }
}
