package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.LocalDate;
import java.util.Locale;

/**
 * Spiderpool's benchmark shape minus the kubelet: D Deployments × R replicas created at once, kube-controller-manager
 * creating the pods; the time until every pod exists (and, with Spinneret, carries a reservation), with the pod
 * webhook and without it, alternating for several rounds.
 *
 * <pre>bench/run.sh ScaleOutBench [DEPLOYMENTS=100] [REPLICAS=10] [ROUNDS=2]</pre>
 */
public final class ScaleOutBench {
    public static void main(String[] args) {
        BenchMain.run(args, ScaleOutBench::main0);
    }

    static void main0(String[] args) throws Exception {
        int d = args.length > 0 ? PodAdmissionBench.positive(args[0], "DEPLOYMENTS") : 100;
        int r = args.length > 1 ? PodAdmissionBench.positive(args[1], "REPLICAS") : 10;
        int rounds = args.length > 2 ? PodAdmissionBench.positive(args[2], "ROUNDS") : 2;
        if ((long) d * r > 60000) {
            throw new IllegalArgumentException("DEPLOYMENTS × REPLICAS must be at most 60000, got " + (long) d * r);
        }
        BenchCluster cluster = BenchCluster.start(1);
        KubernetesClient client = cluster.client(64);
        StringBuilder report = new StringBuilder("# Deployment scale-out: ").append(d).append(" Deployments × ")
                .append(r).append(" replicas\n\nDate ").append(LocalDate.now()).append(", ")
                .append(Runtime.getRuntime().availableProcessors()).append(" cores, Kubernetes v1.36.3, ")
                .append("kube-controller-manager with --kube-api-qps=200 --kube-api-burst=300, 1 Spinneret instance, ")
                .append("no scheduler or kubelet (time until every pod exists with its reservation)\n\n")
                .append("| round | with Spinneret | without | ratio |\n|---|---|---|---|\n");
        for (int round = 1; round <= rounds; round++) {
            double with = run(cluster, client, d, r, true, "sw" + round);
            double without = run(cluster, client, d, r, false, "sn" + round);
            String line = String.format(Locale.ROOT, "| %d | %.1f s | %.1f s | %.2f |%n", round, with, without,
                    without / with);
            System.out.print(line);
            report.append(line);
        }
        report.append("\nService: ").append(cluster.serviceUsage()).append("\n");
        BenchMain.writeReport("scale-out-" + d + "x" + r, report);
        client.close();
        cluster.stop();
    }

    static double run(BenchCluster cluster, KubernetesClient client, int d, int r, boolean webhook, String tag)
            throws Exception {
        String ns = "scale-" + tag;
        String pool = "scale-" + tag;
        cluster.preparePool(pool, d * r);
        cluster.namespace(ns, pool);
        cluster.podWebhook(webhook);
        long t0 = System.nanoTime();
        for (int i = 0; i < d; i++) {
            client.apps().deployments().inNamespace(ns).resource(new DeploymentBuilder().withNewMetadata()
                    .withName("app-" + i).endMetadata().withNewSpec().withReplicas(r).withNewSelector()
                    .addToMatchLabels("app", "app-" + i).endSelector().withNewTemplate().withNewMetadata()
                    .addToLabels("app", "app-" + i).endMetadata().withNewSpec().addNewContainer().withName("c")
                    .withImage("nginx").endContainer().endSpec().endTemplate().endSpec().build()).create();
        }
        long deadline = System.nanoTime() + 600_000_000_000L;
        while (System.nanoTime() < deadline) {
            var pods = client.pods().inNamespace(ns).list().getItems();
            long ready = pods.stream().filter(p -> !webhook || reserved(p)).count();
            if (ready >= (long) d * r) {
                double secs = (System.nanoTime() - t0) / 1e9;
                cluster.deleteNamespace(ns);
                return secs;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("not all " + d * r + " pods appeared within 10 minutes in " + ns);
    }

    static boolean reserved(Pod p) {
        return p.getMetadata().getAnnotations() != null
                && p.getMetadata().getAnnotations().containsKey("ipam.spidernet.io/reserved-ips");
    }
}
