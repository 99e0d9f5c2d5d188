package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import dev.spinneret.e2e.SpiderpoolHost;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Spiderpool in its own control plane: the CRDs of its chart (no Spinneret anywhere), its agent and its controller
 * running as processes on this host (kubeconfig, node and pod names from the environment, as the chart's DaemonSet
 * and Deployment set them). Its webhooks are not registered: a pod create is a plain create, as in a default
 * Spiderpool installation (its pod webhook is off by default); the pools are created without its pool webhook. Its
 * plugin's ADD goes to the agent over the agent's unix socket, which allocates from the pool (status update) and
 * writes the pod's SpiderEndpoint. The plugin opens CNI_NETNS, so an empty network namespace is given (root only).
 */
final class SpiderpoolFairSide extends FairSide {
    private final SpiderpoolHost host;
    private final java.util.concurrent.atomic.AtomicInteger adds = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger retries = new java.util.concurrent.atomic.AtomicInteger();

    SpiderpoolFairSide(Path dir, Path work) throws Exception {
        super("Spiderpool", BenchCluster.start(BenchCluster.dir("bench-fair-spiderpool"), 0), work);
        try (var crds = Files.list(dir.resolve("crds"))) {
            for (Path crd : crds.sorted().toList()) {
                cluster.kubectl(null, "apply", "--server-side", "-f", crd.toString()).ok();
            }
        }
        cluster.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s", "crd", "--all").ok();
        // the same host processes as the adoption test's: agent, then controller (its IP garbage collection on, as
        // in a default installation), with their logs in work/
        host = new SpiderpoolHost(dir, Path.of(cluster.env("KUBECONFIG")), work.resolve("spiderpool"));
        Runtime.getRuntime().addShutdownHook(new Thread(host::close));
        host.startAgent("bench-node", false, "error");
        host.startController(false, "error", true);
        Thread.sleep(5000); // leader election and informer sync: it must still be alive after that
        if (!host.controller().map(Process::isAlive).orElse(false)) {
            throw new IllegalStateException("spiderpool-controller exited: " + host.log("spiderpool-controller"));
        }
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
        String conf = host.pluginConf(ns, "error"); // the run's pool as the default pool
        for (int attempt = 1;; attempt++) {
            try {
                host.add(conf, containerId, ns, pod, uid);
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
        return List.of(String.valueOf(host.agent().pid()), String.valueOf(host.controller().orElseThrow().pid()));
    }

    @Override
    String describe() {
        return "Spiderpool " + BenchSupport.firstLine(host.dir.resolve("VERSION")) + " (agent + controller + plugin built by "
                + "integration-tests/scripts/build-spiderpool.sh, `" + BenchSupport.firstLine(host.dir.resolve(".stamp")) + "`)";
    }

    String usage() {
        return "agent " + BenchSupport.usage(host.agent().pid()) + "; controller "
                + BenchSupport.usage(host.controller().orElseThrow().pid());
    }

    @Override
    public void close() {
        host.close();
        super.close();
    }
}
