package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Spiderpool in its own control plane: the CRDs of its chart (no Spinneret anywhere), its agent and its controller
 * running as processes on this host (kubeconfig, node and pod names from the environment, as the chart's DaemonSet
 * and Deployment set them). Its webhooks are not registered: a pod create is a plain create, as in a default
 * Spiderpool installation (its pod webhook is off by default); the pools are created without its pool webhook. Its
 * plugin's ADD goes to the agent over the agent's unix socket, which allocates from the pool (status update) and
 * writes the pod's SpiderEndpoint. The plugin opens CNI_NETNS, so an empty network namespace is given (root only).
 */
final class SpiderpoolFairSide extends FairSide {
    private final Path dir;
    private final String netns = "spn-fair-" + ProcessHandle.current().pid();
    private final Path sock;
    private final Process agent;
    private final Process controller;
    private final java.util.concurrent.atomic.AtomicInteger adds = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger retries = new java.util.concurrent.atomic.AtomicInteger();

    SpiderpoolFairSide(Path dir, Path work) throws Exception {
        super("Spiderpool", BenchCluster.start(BenchCluster.dir("bench-fair-spiderpool"), 0), work);
        this.dir = dir;
        try (var crds = Files.list(dir.resolve("crds"))) {
            for (Path crd : crds.sorted().toList()) {
                cluster.kubectl(null, "apply", "--server-side", "-f", crd.toString()).ok();
            }
        }
        cluster.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all").ok();
        BenchSupport.runOk(List.of("ip", "netns", "add", netns));
        Runtime.getRuntime().addShutdownHook(new Thread(this::deleteNetns));
        sock = work.resolve("spiderpool.sock");
        Path conf = work.resolve("spiderpool-conf.yml");
        Files.writeString(conf, """
                ipamUnixSocketPath: %s
                enableIPv4: true
                enableIPv6: false
                enableStatefulSet: true
                enableKubevirtStaticIP: false
                enableCleanOutdatedEndpoint: false
                enableSpiderSubnet: false
                enableAutoPoolForApplication: false
                enableIPConflictDetection: false
                enableGatewayDetection: false
                clusterSubnetDefaultFlexibleIPNumber: 0
                """.formatted(sock));
        agent = start("spiderpool-agent", List.of("daemon", "--config-path", conf.toString()), Map.of(
                "SPIDERPOOL_NODE_NAME", "bench-node", "SPIDERPOOL_POD_NAME", "spiderpool-agent-bench",
                // what the chart sets; without it every pool is filtered out for eth0 ("cluster-network multus isn't set")
                "MULTUS_CLUSTER_NETWORK", "kube-system/bench-net"));
        for (int i = 0; i < 600 && !Files.exists(sock); i++) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("spiderpool-agent exited: " + Files.readString(work.resolve("spiderpool-agent.log")));
            }
            Thread.sleep(100);
        }
        if (!Files.exists(sock)) {
            throw new IllegalStateException("spiderpool-agent did not open " + sock + " within 60 s");
        }
        // the controller's webhook server wants a certificate even though no webhook is registered with the API server
        Path tls = Files.createDirectories(work.resolve("spiderpool-tls"));
        BenchSupport.runOk(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-keyout", tls.resolve("tls.key").toString(), "-out", tls.resolve("tls.crt").toString()));
        controller = start("spiderpool-controller", List.of("daemon", "--config-path", conf.toString(),
                "--tls-server-cert", tls.resolve("tls.crt").toString(), "--tls-server-key", tls.resolve("tls.key").toString()),
                Map.of("SPIDERPOOL_POD_NAME", "spiderpool-controller-bench",
                        "SPIDERPOOL_WEBHOOK_PORT", String.valueOf(BenchSupport.freePort())));
        Thread.sleep(5000); // leader election and informer sync: it must still be alive after that
        if (!controller.isAlive()) {
            throw new IllegalStateException("spiderpool-controller exited: "
                    + Files.readString(work.resolve("spiderpool-controller.log")));
        }
    }

    private Process start(String bin, List<String> args, Map<String, String> env) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(dir.resolve(bin).toString()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> e = new HashMap<>(Map.of("KUBECONFIG", cluster.env("KUBECONFIG"),
                "SPIDERPOOL_POD_NAMESPACE", "kube-system", "SPIDERPOOL_LOG_LEVEL", "error",
                "SPIDERPOOL_HEALTH_PORT", String.valueOf(BenchSupport.freePort()),
                "SPIDERPOOL_METRIC_HTTP_PORT", String.valueOf(BenchSupport.freePort()),
                "SPIDERPOOL_GOPS_LISTEN_PORT", String.valueOf(BenchSupport.freePort())));
        e.putAll(env);
        pb.environment().putAll(e);
        pb.redirectErrorStream(true).redirectOutput(work.resolve(bin + ".log").toFile());
        Process p = pb.start();
        BenchSupport.LIVE.add(p);
        return p;
    }

    @Override
    String prepare(String tag, int n) throws InterruptedException {
        String ns = "sp-" + tag;
        cluster.preparePool(ns, n);
        plainNamespace(ns);
        return ns;
    }

    @Override
    void add(String ns, String pod, String uid, String containerId) throws Exception {
        String conf = """
                {"cniVersion":"0.3.1","name":"sp-bench","type":"macvlan","master":"none",
                 "ipam":{"type":"spiderpool","ipam_unix_socket_path":"%s","default_ipv4_ippool":["%s"],
                  "log_file_path":"%s","log_level":"error"}}
                """.formatted(sock, ns, work.resolve("spiderpool-cni.log"));
        for (int attempt = 1;; attempt++) {
            try {
                BenchSupport.cniAdd(List.of(dir.resolve("spiderpool").toString()), conf, containerId,
                        "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + pod + ";K8S_POD_UID=" + uid,
                        "/var/run/netns/" + netns, work);
                adds.incrementAndGet();
                return;
            } catch (IllegalStateException e) {
                // The agent reads the pod from its informer cache; an ADD right after the create can come before the
                // watch event (a kubelet's ADD comes after scheduling and its own sync, much later). Retried as the
                // kubelet would retry, counted in the time and CPU, and reported.
                if (attempt == 10 || !String.valueOf(e.getMessage()).contains("not found")) {
                    throw e;
                }
                retries.incrementAndGet();
                Thread.sleep(20);
            }
        }
    }

    /** How many ADDs were retried because the agent had not seen the pod yet, of all ADDs. */
    String retries() {
        return retries.get() + " of " + adds.get();
    }

    @Override
    void cleanUp(String ns, int n) {
        String count = cluster.kubectl(null, "get", "spiderippool", ns, "-o", "jsonpath={.status.allocatedIPCount}").ok()
                .out().trim();
        if (!count.equals(String.valueOf(n))) {
            throw new IllegalStateException("Spiderpool's pool " + ns + " holds " + count + " allocations, not " + n);
        }
        // Its controller's garbage collection cannot handle a deleted pod that was never bound to a node ("failed to
        // get terminating Pod ... corresponding Node ''"), so the SpiderEndpoints keep their finalizer: drop it here.
        // Not timed; the next run takes a fresh pool, and this one is deleted with what it holds.
        cluster.kubectl(null, "delete", "namespace", ns, "--wait=false").ok();
        var endpoints = client.genericKubernetesResources("spiderpool.spidernet.io/v2beta1", "SpiderEndpoint").inNamespace(ns);
        for (var se : endpoints.list().getItems()) {
            endpoints.withName(se.getMetadata().getName()).patch(PatchContext.of(PatchType.JSON_MERGE),
                    "{\"metadata\":{\"finalizers\":null}}");
        }
        cluster.kubectl(null, "wait", "--for=delete", "namespace/" + ns, "--timeout=120s").ok();
        cluster.kubectl(null, "delete", "spiderippool", ns).ok();
    }

    @Override
    List<String> daemonPids() {
        return List.of(String.valueOf(agent.pid()), String.valueOf(controller.pid()));
    }

    @Override
    String describe() {
        return "Spiderpool " + BenchSupport.firstLine(dir.resolve("VERSION")) + " (agent + controller + plugin built by "
                + "integration-tests/scripts/build-spiderpool.sh, `" + BenchSupport.firstLine(dir.resolve(".stamp")) + "`)";
    }

    String usage() {
        return "agent " + BenchSupport.usage(agent.pid()) + "; controller " + BenchSupport.usage(controller.pid());
    }

    private void deleteNetns() {
        try {
            BenchSupport.runOk(List.of("ip", "netns", "del", netns));
        } catch (Exception ignored) {
            // best effort: already gone
        }
    }

    @Override
    public void close() {
        controller.destroy();
        agent.destroy();
        deleteNetns();
        super.close();
    }
}
