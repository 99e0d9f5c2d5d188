package dev.spinneret.e2e;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * A cluster with two real nodes (integration-tests/scripts/node.sh: kubelet + containerd + kube-proxy on node-a
 * and node-b, kube-scheduler) and Spinneret installed from its chart with the images built by
 * integration-tests/images/build-images.sh, shared by every *NodeIT class and stopped by a shutdown hook. The
 * nodes' pod network is the bridge plugin with Spinneret as its IPAM. Needs root (CI runs as root).
 */
public final class NodeCluster implements Kubectl {
    static final Path DIR = RealCluster.ROOT.resolve("target/e2e-nodes");
    static final String NS = "spinneret-system";
    private static NodeCluster instance;

    final Map<String, String> env;
    final KubernetesClient client;

    private NodeCluster(Map<String, String> env) {
        this.env = env;
        this.client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(RealCluster.read(Path.of(env.get("KUBECONFIG"))))).build();
    }

    public static synchronized NodeCluster get() {
        if (instance == null) {
            Runtime.getRuntime().addShutdownHook(new Thread(NodeCluster::stop, "node-cluster-stop"));
            String images = RealCluster.exec(List.of(RealCluster.ROOT.resolve(
                    "integration-tests/images/build-images.sh").toString()), null, Map.of(), 1200).ok().out().strip();
            images = images.substring(images.lastIndexOf('\n') + 1);
            RealCluster.run(List.of(script("node.sh"), "start", DIR.toString()), 1200, Map.of("SPINNERET_NODE_IMAGES",
                    images + "/spinneret.tar " + images + "/spinneret-cni.tar " + images + "/kubectl.tar"));
            NodeCluster c = new NodeCluster(RealCluster.sourceEnv(DIR.resolve("env")));
            c.helm("install", "spinneret", RealCluster.ROOT.resolve("helm/spinneret").toString(), "-n", NS,
                    "--create-namespace", "-f", RealCluster.SCRIPTS.resolve("local-nodes-values.yaml").toString(),
                    "--set", "controller.gc.interval=5s", "--set", "controller.gc.orphanTTL=10s",
                    "--wait", "--timeout", "8m").ok();
            c.kubectl("-n", NS, "rollout", "status", "ds/spinneret-cni", "--timeout=180s").ok();
            instance = c;
        }
        return instance;
    }

    static String script(String name) {
        return RealCluster.SCRIPTS.resolve(name).toString();
    }

    static void stop() {
        RealCluster.run(List.of(script("node.sh"), "stop", DIR.toString()), 120);
    }

    public KubernetesClient client() {
        return client;
    }

    @Override
    public RealCluster.Result kubectl(String... args) {
        List<String> cmd = new ArrayList<>(List.of(env.get("KUBECTL")));
        cmd.addAll(List.of(args));
        return RealCluster.exec(cmd, null, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 300);
    }

    /** {@code kubectl apply -f -} of {@code yaml}, with {@code extra} flags (e.g. {@code --as=...}). */
    @Override
    public RealCluster.Result kubectlApply(String yaml, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(env.get("KUBECTL"), "apply", "-f", "-"));
        cmd.addAll(List.of(extra));
        return RealCluster.exec(cmd, yaml, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 120);
    }

    public RealCluster.Result helm(String... args) {
        List<String> cmd = new ArrayList<>(List.of(env.get("BIN_DIR") + "/helm"));
        cmd.addAll(List.of(args));
        return RealCluster.exec(cmd, null, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 600);
    }

    /** node.sh's other commands: restart, exec, cni. */
    public RealCluster.Result node(String... args) {
        List<String> cmd = new ArrayList<>(List.of(script("node.sh"), args[0], DIR.toString()));
        cmd.addAll(List.of(args).subList(1, args.length));
        return RealCluster.exec(cmd, null, Map.of(), 300);
    }

    /** A Running pod's main container runs a command (kubectl exec). */
    public RealCluster.Result exec(String namespace, String pod, String... command) {
        List<String> cmd = new ArrayList<>(List.of("-n", namespace, "exec", pod, "--"));
        cmd.addAll(List.of(command));
        return kubectl(cmd.toArray(String[]::new));
    }

    public List<Pod> pods(String namespace, String label) {
        return client.pods().inNamespace(namespace).withLabel(label.split("=")[0], label.split("=")[1]).list()
                .getItems();
    }

    static boolean running(Pod p) {
        return p.getMetadata().getDeletionTimestamp() == null && p.getStatus() != null
                && "Running".equals(p.getStatus().getPhase()) && p.getStatus().getPodIP() != null;
    }

    static void await(String what, Duration timeout, BooleanSupplier done) {
        long end = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + timeout.toSeconds() + " s waiting for " + what);
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
