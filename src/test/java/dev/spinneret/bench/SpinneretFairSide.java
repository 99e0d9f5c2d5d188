package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import java.nio.file.Path;
import java.util.List;

/**
 * Spinneret in its own control plane: its CRDs, one service instance (the chart's JVM settings) and its webhooks. A
 * pod create goes through the pod webhook, which reserves the address from the namespace's default pool; the Go
 * plugin's ADD reads the pod and confirms on its SpiderEndpoint.
 */
final class SpinneretFairSide extends FairSide {
    private final List<String> plugin;
    private final String conf;

    SpinneretFairSide(Path work) throws Exception {
        super("Spinneret", BenchCluster.start(BenchCluster.dir("bench-fair-spinneret"), 1), work);
        plugin = BenchSupport.spinneretPlugin();
        conf = """
                {"cniVersion":"1.0.0","name":"spn-bench","type":"macvlan","master":"none",
                 "ipam":{"type":"spinneret","kubeconfig":"%s","log_file_path":"%s","log_level":"error"}}
                """.formatted(cluster.env("KUBECONFIG"), work.resolve("spinneret-cni.log"));
    }

    @Override
    String prepare(String tag, int n) {
        String ns = "spn-" + tag;
        cluster.preparePool(ns, n);
        cluster.namespace(ns, ns);
        return ns;
    }

    @Override
    void add(String ns, String pod, String uid, String containerId) throws Exception {
        BenchSupport.cniAdd(plugin, conf, containerId,
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + pod + ";K8S_POD_UID=" + uid,
                "/var/run/netns/spn-bench-unused", work);
    }

    @Override
    void cleanUp(String ns, int n) throws InterruptedException {
        // the pool's count trails its blocks by about a second (the coalescing writer): wait up to 45 s for n
        String count = "";
        for (int i = 0; i < 90 && !count.equals(String.valueOf(n)); i++) {
            count = cluster.kubectl(null, "get", "spiderippool", ns, "-o", "jsonpath={.status.allocatedIPCount}").ok()
                    .out().trim();
            Thread.sleep(i == 0 ? 0 : 500);
        }
        if (!count.equals(String.valueOf(n))) {
            throw new IllegalStateException("Spinneret's pool " + ns + " holds " + count + " allocations, not " + n);
        }
        cluster.deleteNamespace(ns);
        cluster.awaitReleased(ns, ns, 120_000); // the releases are not timed: let them finish before the next run
        cluster.kubectl(null, "delete", "spiderippool", ns, "--wait=false").ok();
    }

    @Override
    List<String> daemonPids() {
        return cluster.servicePids();
    }

    @Override
    String describe() {
        return "Spinneret service (1 instance, Quarkus JVM, Java " + System.getProperty("java.version")
                + ", the chart's JVM options " + String.join(" ", cluster.serviceJvmOptions()) + "), CNI plugin "
                + BenchSupport.pluginDescription(plugin);
    }
}
