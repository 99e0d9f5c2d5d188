package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue #12's ADD figures against a real kube-apiserver (Go, with etcd): wall time and CPU of the Go plugin's ADD
 * (fork/exec of target/cni/spinneret, as a container runtime does it), authenticated the way the chart's installer
 * does it (the spinneret-cni ServiceAccount's token in a tokenFile, the cluster CA, the chart's ClusterRole).
 * Each ADD is one GET of the pod and one server-side apply of its SpiderEndpoint. Cases: the first ADD of a new pod
 * (the apply creates the endpoint) at each concurrency, and repeated ADDs of one pod (the apply updates it) at
 * concurrency 1. CPU per ADD = the user+sys CPU of all plugin processes of a block / its ADDs. With
 * {@code SPINNERET_CNI_BASELINE=<binary>} a second plugin takes turns with this one, block by block.
 * <p>
 * {@code bench/run.sh CniAddBench [RUNS=200] [CONCURRENCY=1,8]}; report in
 * bench/results/&lt;date&gt;-cni-add-real-apiserver.md.
 */
public final class CniAddBench {
    private CniAddBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(args, CniAddBench::main0);
    }

    /** One measured block: per-ADD wall times, the plugin processes' CPU and the block's wall time. */
    record Block(String variant, String what, int concurrency, long[] wall, double cpuMs, long blockNanos) {
        Block repeated() {
            return new Block(variant, "repeated ADD", concurrency, wall, cpuMs, blockNanos);
        }
    }

    static void main0(String[] args) throws Exception {
        if (args.length > 2) {
            throw new IllegalArgumentException("usage: CniAddBench [RUNS=200] [CONCURRENCY=1,8]");
        }
        int runs = args.length > 0 ? PodAdmissionBench.positive(args[0], "RUNS") : 200;
        if (runs > 2000) {
            throw new IllegalArgumentException("RUNS must be at most 2000, got " + runs);
        }
        List<Integer> levels = new ArrayList<>();
        for (String c : (args.length > 1 ? args[1] : "1,8").split(",")) {
            levels.add(PodAdmissionBench.positive(c.trim(), "CONCURRENCY"));
        }
        Map<String, List<String>> variants = new LinkedHashMap<>();
        variants.put("Go plugin", BenchSupport.spinneretPlugin());
        String baseline = System.getenv("SPINNERET_CNI_BASELINE");
        if (baseline != null && !baseline.isBlank()) {
            Path b = Path.of(baseline).toAbsolutePath();
            if (!Files.isExecutable(b)) {
                throw new IllegalArgumentException("SPINNERET_CNI_BASELINE: not an executable: " + b);
            }
            variants.put("baseline " + b, List.of(b.toString()));
        }
        Path work = Files.createTempDirectory("spn-cni-bench");
        String loadStart = BenchSupport.loadavg();

        BenchCluster cluster = BenchCluster.start(1);
        Path kubeconfig = pluginKubeconfig(cluster, work);
        KubernetesClient client = cluster.client(8);
        String ns = "cnib";
        int pods = runs * levels.size() * variants.size() + 1; // p0: warm-up and repeated ADDs
        cluster.preparePool(ns, pods + 1);
        cluster.namespace(ns, ns);
        List<Pod> created = new ArrayList<>();
        for (int i = 0; i < pods; i++) {
            created.add(client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p" + i)
                    .withNamespace(ns).endMetadata().withNewSpec().addNewContainer().withName("c").withImage("nginx")
                    .endContainer().endSpec().build()).create());
        }
        String conf = """
                {"cniVersion":"1.0.0","name":"spn-bench","type":"macvlan","master":"none",
                 "ipam":{"type":"spinneret","kubeconfig":"%s","log_file_path":"%s","log_level":"error"}}
                """.formatted(kubeconfig, work.resolve("spinneret-cni.log"));
        // warm-up, not reported: page cache, the API server's caches and its TLS and JSON paths
        Pod w = created.get(0);
        for (List<String> cmd : variants.values()) {
            for (int i = 0; i < 5; i++) {
                add(cmd, conf, w, "warm" + i, work);
            }
        }
        List<Block> blocks = new ArrayList<>();
        int next = 1;
        // first ADDs of new pods: per concurrency, the variants take turns in blocks of 25 pods
        for (int c : levels) {
            Map<String, List<Block>> parts = new LinkedHashMap<>();
            for (int done = 0; done < runs; done += 25) {
                int n = Math.min(25, runs - done);
                for (var v : variants.entrySet()) {
                    List<Pod> batch = created.subList(next, next + n);
                    next += n;
                    parts.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(block(v.getKey(), v.getValue(), conf, batch, c, work));
                }
            }
            parts.values().forEach(l -> blocks.add(merge(l)));
        }
        // repeated ADDs of one pod at concurrency 1
        Map<String, List<Block>> parts = new LinkedHashMap<>();
        for (int done = 0; done < runs; done += 25) {
            int n = Math.min(25, runs - done);
            for (var v : variants.entrySet()) {
                parts.computeIfAbsent(v.getKey(), k -> new ArrayList<>())
                        .add(block(v.getKey(), v.getValue(), conf, java.util.Collections.nCopies(n, w), 1, work));
            }
        }
        parts.values().forEach(l -> blocks.add(merge(l).repeated()));
        String loadEnd = BenchSupport.loadavg();
        String k8s = cluster.kubectl(null, "version", "-o", "json").ok().out()
                .replaceAll("(?s).*\"serverVersion\".*?\"gitVersion\":\\s*\"([^\"]+)\".*", "$1");

        StringBuilder r = new StringBuilder("# CNI ADD against a real kube-apiserver (issue #12)\n\n");
        r.append("Date ").append(LocalDate.now()).append(" ").append(java.time.LocalTime.now().withNano(0))
                .append("; machine: ").append(BenchSupport.machine())
                .append("; load average (1/5/15 min) ").append(loadStart).append(" at start, ").append(loadEnd)
                .append(" at end.\n\nKubernetes ").append(k8s)
                .append(" (kube-apiserver + etcd 3.6.16 on this host, RSA 2048 CA and serving certificate as kubeadm makes them). ")
                .append("Plugin: ").append(BenchSupport.pluginDescription(variants.get("Go plugin")))
                .append(". Auth: the spinneret-cni ServiceAccount's token in a tokenFile, the CA file, the chart's ClusterRole ")
                .append("(what the chart's installer writes). Command: `bench/run.sh CniAddBench ").append(runs).append(' ')
                .append(levels.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","))).append("`.\n\n")
                .append("Wall time of fork/exec of the plugin until it exits; CPU = user+sys of the plugin processes / ADDs. ")
                .append("*First ADD*: a new pod (GET pod, server-side apply creating its SpiderEndpoint). ")
                .append("*Repeated ADD*: the same pod again (GET pod, apply updating the endpoint). ")
                .append("Variants take turns in blocks of 25 ADDs, after 5 unreported warm-up ADDs each. ")
                .append("ADD/s = ADDs of the level / the sum of its blocks' wall times.\n\n")
                .append("| variant | case | concurrency | ADDs | p50 | p99 | min | mean | CPU/ADD | ADD/s |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (Block b : blocks) {
            long[] wall = b.wall().clone();
            java.util.Arrays.sort(wall);
            double mean = java.util.Arrays.stream(wall).average().orElse(0);
            r.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %s | %s | %s | %s | %.1f ms | %.1f |%n", b.variant(), b.what(),
                    b.concurrency(), wall.length, ms1(BenchSupport.pct(wall, 50)), ms1(BenchSupport.pct(wall, 99)),
                    ms1(wall[0]), ms1((long) mean), b.cpuMs() / wall.length, wall.length / (b.blockNanos() / 1e9)));
        }
        System.out.print(r);
        BenchMain.writeReport("cni-add-real-apiserver", r);
        client.close();
        cluster.stop();
    }

    static String ms1(long nanos) {
        return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
    }

    /** ADDs of the given pods with c workers. */
    static Block block(String variant, List<String> cmd, String conf, List<Pod> pods, int c, Path work) throws Exception {
        long[] wall = new long[pods.size()];
        java.util.concurrent.atomic.AtomicInteger idx = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(c);
        double cpu0 = BenchSupport.childCpuMs();
        long t0 = System.nanoTime();
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int k = 0; k < c; k++) {
            fs.add(pool.submit(() -> {
                for (int i = idx.getAndIncrement(); i < pods.size(); i = idx.getAndIncrement()) {
                    Pod p = pods.get(i);
                    wall[i] = add(cmd, conf, p, "c" + p.getMetadata().getName() + "-" + i, work);
                }
                return null;
            }));
        }
        for (var f : fs) {
            f.get();
        }
        long blockNanos = System.nanoTime() - t0;
        pool.shutdown();
        return new Block(variant, "first ADD", c, wall, BenchSupport.childCpuMs() - cpu0, blockNanos);
    }

    static Block merge(List<Block> parts) {
        long[] wall = parts.stream().flatMapToLong(b -> java.util.Arrays.stream(b.wall())).toArray();
        Block f = parts.get(0);
        return new Block(f.variant(), f.what(), f.concurrency(), wall, parts.stream().mapToDouble(Block::cpuMs).sum(),
                parts.stream().mapToLong(Block::blockNanos).sum());
    }

    /** One ADD; returns its wall time in ns. */
    static long add(List<String> cmd, String conf, Pod p, String containerId, Path work) throws Exception {
        long t0 = System.nanoTime();
        BenchSupport.cniAdd(cmd, conf, containerId, "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + p.getMetadata().getNamespace()
                + ";K8S_POD_NAME=" + p.getMetadata().getName() + ";K8S_POD_UID=" + p.getMetadata().getUid(),
                "/var/run/netns/spn-bench-unused", work);
        return System.nanoTime() - t0;
    }

    /**
     * The kubeconfig the chart's installer writes: server, the cluster CA, a tokenFile; the token is the spinneret-cni
     * ServiceAccount's, bound to the chart's ClusterRole for the plugin.
     */
    static Path pluginKubeconfig(BenchCluster cluster, Path work) throws Exception {
        cluster.kubectl("""
                apiVersion: v1
                kind: ServiceAccount
                metadata: {name: spinneret-cni, namespace: kube-system}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRole
                metadata: {name: spinneret-cni-bench}
                rules:
                  - {apiGroups: [""], resources: [pods], verbs: [get]}
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderendpoints], verbs: [get, create, patch]}
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderendpoints/status], verbs: [get, patch]}
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderippools], verbs: [get]}
                  - {apiGroups: [ipam.spinneret.dev], resources: [spinneretipblocks], verbs: [get]}
                ---
                apiVersion: rbac.authorization.k8s.io/v1
                kind: ClusterRoleBinding
                metadata: {name: spinneret-cni-bench}
                roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: spinneret-cni-bench}
                subjects: [{kind: ServiceAccount, name: spinneret-cni, namespace: kube-system}]
                """, "apply", "-f", "-").ok();
        String token = cluster.kubectl(null, "create", "token", "spinneret-cni", "-n", "kube-system", "--duration=2h")
                .ok().out().trim();
        String admin = Files.readString(Path.of(cluster.env("KUBECONFIG")));
        Matcher server = Pattern.compile("server:\\s*(\\S+)").matcher(admin);
        if (!server.find() || !server.group(1).startsWith("https://127.0.0.1:")) {
            throw new IllegalStateException("the bench kubeconfig must point at 127.0.0.1");
        }
        Path ca = work.resolve("ca.crt");
        Matcher caData = Pattern.compile("certificate-authority-data:\\s*(\\S+)").matcher(admin);
        Matcher caFile = Pattern.compile("certificate-authority:\\s*(\\S+)").matcher(admin);
        if (caData.find()) {
            Files.write(ca, Base64.getDecoder().decode(caData.group(1)));
        } else if (caFile.find()) {
            Files.copy(Path.of(caFile.group(1)), ca);
        } else {
            throw new IllegalStateException("no certificate authority in " + cluster.env("KUBECONFIG"));
        }
        Files.writeString(work.resolve("token"), token);
        Path kc = work.resolve("spinneret.kubeconfig");
        Files.writeString(kc, """
                apiVersion: v1
                kind: Config
                clusters:
                - name: local
                  cluster:
                    server: %s
                    certificate-authority: %s
                users:
                - name: spinneret-cni
                  user:
                    tokenFile: %s
                contexts:
                - name: spinneret-cni
                  context:
                    cluster: local
                    user: spinneret-cni
                current-context: spinneret-cni
                """.formatted(server.group(1), ca, work.resolve("token")), StandardCharsets.UTF_8);
        return kc;
    }
}
