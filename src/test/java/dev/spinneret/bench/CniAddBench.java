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
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue #6's start-up figure against a real kube-apiserver (Go, with etcd) instead of the fake JDK server of
 * {@code src/main/cni/bench-add.sh}: wall time and CPU of the packaged plugin's ADD, authenticated the way the chart's
 * installer does it (the spinneret-cni ServiceAccount's token in a tokenFile, the cluster CA, the chart's ClusterRole).
 * Two cases: the first ADD of a new pod (GET pod, GET pool, GET endpoint → 404, POST endpoint) and a repeated ADD of
 * the same pod (GET pod, GET pool, GET endpoint, PATCH status). Variants alternate pod by pod and run by run: the dist,
 * the dist without its TLS warm-up thread, and {@code SPINNERET_CNI_BASELINE=<dist dir>} if set.
 * <p>
 * {@code bench/run.sh CniAddBench [RUNS=50]}; report in bench/results/&lt;date&gt;-cni-add-real-apiserver.md.
 */
public final class CniAddBench {
    private CniAddBench() {
    }

    public static void main(String[] args) {
        BenchMain.run(args, CniAddBench::main0);
    }

    record Variant(String name, List<String> cmd, List<long[]> first, List<long[]> repeat) {
        Variant(String name, List<String> cmd) {
            this(name, cmd, new ArrayList<>(), new ArrayList<>());
        }
    }

    static void main0(String[] args) throws Exception {
        if (args.length > 1) {
            throw new IllegalArgumentException("usage: CniAddBench [RUNS=50]");
        }
        int runs = args.length > 0 ? PodAdmissionBench.positive(args[0], "RUNS") : 50;
        if (runs > 1000) {
            throw new IllegalArgumentException("RUNS must be at most 1000, got " + runs);
        }
        List<String> plugin = WhereaboutsBench.spinneretPlugin();
        if (plugin.size() != 1) {
            throw new IllegalArgumentException("CniAddBench measures the packaged plugin: run src/main/cni/build-dist.sh");
        }
        Path work = Files.createTempDirectory("spn-cni-bench");
        Path dist = Path.of(plugin.get(0)).getParent();
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("dist (" + WhereaboutsBench.pluginDescription(plugin) + ")", plugin));
        variants.add(new Variant("dist without the TLS warm-up thread", List.of(noPrewarmCopy(dist, work).toString())));
        String baseline = System.getenv("SPINNERET_CNI_BASELINE");
        if (baseline != null && !baseline.isBlank()) {
            Path b = Path.of(baseline).toAbsolutePath().resolve("spinneret");
            if (!Files.isExecutable(b)) {
                throw new IllegalArgumentException("SPINNERET_CNI_BASELINE: no launcher " + b);
            }
            variants.add(new Variant("baseline " + baseline, List.of(b.toString())));
        }
        String loadStart = WhereaboutsBench.loadavg();

        BenchCluster cluster = BenchCluster.start(1);
        Path kubeconfig = pluginKubeconfig(cluster, work);
        KubernetesClient client = cluster.client(8);
        String ns = "cnib";
        int pods = runs * variants.size() + 1; // p0 for the warm-up and repeated ADDs, one new pod per first ADD
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
        for (Variant v : variants) {
            for (int i = 0; i < 3; i++) {
                add(v, conf, w, "warm" + i, work);
            }
        }
        // first ADD of each remaining pod, the variants taking turns; then repeated ADDs of pod p0
        int next = 1;
        for (int r = 0; r < runs; r++) {
            for (Variant v : variants) {
                Pod p = created.get(next++);
                v.first().add(add(v, conf, p, "c" + p.getMetadata().getName(), work));
            }
        }
        for (int r = 0; r < runs; r++) {
            for (Variant v : variants) {
                v.repeat().add(add(v, conf, w, "warm0", work));
            }
        }
        String loadEnd = WhereaboutsBench.loadavg();
        String k8s = cluster.kubectl(null, "version", "-o", "json").ok().out()
                .replaceAll("(?s).*\"serverVersion\".*?\"gitVersion\":\\s*\"([^\"]+)\".*", "$1");

        StringBuilder r = new StringBuilder("# CNI ADD against a real kube-apiserver (issue #6 start-up target)\n\n");
        r.append("Date ").append(LocalDate.now()).append("; machine: ").append(WhereaboutsBench.machine())
                .append("; load average (1/5/15 min) ").append(loadStart).append(" at start, ").append(loadEnd)
                .append(" at end.\n\nKubernetes ").append(k8s)
                .append(" (kube-apiserver + etcd 3.6.16 on this host, RSA 2048 CA and serving certificate as kubeadm makes them). ")
                .append("Plugin auth: the spinneret-cni ServiceAccount's token in a tokenFile, the CA file, the chart's ClusterRole ")
                .append("(what the chart's installer writes). Command: `bench/run.sh CniAddBench ").append(runs).append("`.\n\n")
                .append("Wall time of fork/exec of the launcher until it exits, and user+sys CPU of the plugin process. ")
                .append("*First ADD*: a new pod (GET pod, GET pool, GET SpiderEndpoint → 404, POST SpiderEndpoint). ")
                .append("*Repeated ADD*: the same pod again (GET pod, GET pool, GET SpiderEndpoint, PATCH status). ")
                .append("Variants take turns pod by pod and run by run, after 3 unreported warm-up ADDs each.\n\n")
                .append("| variant | case | runs | p50 | p95 | min | mean | CPU/ADD |\n|---|---|---|---|---|---|---|---|\n");
        for (Variant v : variants) {
            row(r, v.name(), "first ADD", v.first());
            row(r, v.name(), "repeated ADD", v.repeat());
        }
        System.out.print(r);
        BenchMain.writeReport("cni-add-real-apiserver", r);
        client.close();
        cluster.stop();
    }

    /** One ADD; returns {wall ns, CPU ms of the plugin process}. */
    static long[] add(Variant v, String conf, Pod p, String containerId, Path work) throws Exception {
        double cpu0 = WhereaboutsBench.childCpuMs();
        long t0 = System.nanoTime();
        WhereaboutsBench.cniAdd(v.cmd(), conf, containerId, "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + p.getMetadata().getNamespace()
                + ";K8S_POD_NAME=" + p.getMetadata().getName() + ";K8S_POD_UID=" + p.getMetadata().getUid(),
                "/var/run/netns/spn-bench-unused", work);
        long wall = System.nanoTime() - t0;
        return new long[] {wall, Math.round(WhereaboutsBench.childCpuMs() - cpu0)};
    }

    static void row(StringBuilder r, String variant, String what, List<long[]> t) {
        if (t.isEmpty()) {
            return;
        }
        long[] wall = t.stream().mapToLong(x -> x[0]).sorted().toArray();
        double cpu = t.stream().mapToLong(x -> x[1]).average().orElse(0);
        double mean = t.stream().mapToLong(x -> x[0]).average().orElse(0);
        r.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %.0f ms |%n", variant, what, wall.length,
                WhereaboutsBench.ms(WhereaboutsBench.pct(wall, 50)), WhereaboutsBench.ms(WhereaboutsBench.pct(wall, 95)),
                WhereaboutsBench.ms(wall[0]), WhereaboutsBench.ms((long) mean), cpu));
    }

    /** A copy of the dist whose launcher passes -Dspinneret.cni.prewarm=false. */
    static Path noPrewarmCopy(Path dist, Path work) throws Exception {
        Path copy = work.resolve("noprewarm");
        Files.createDirectories(copy);
        Files.createSymbolicLink(copy.resolve("spinneret.d"), dist.resolve("spinneret.d"));
        String launcher = Files.readString(dist.resolve("spinneret"));
        String changed = launcher.replace("exec ./jre/bin/java ", "exec ./jre/bin/java -Dspinneret.cni.prewarm=false ");
        if (changed.equals(launcher)) {
            throw new IllegalStateException("cannot derive the no-prewarm launcher from " + dist.resolve("spinneret"));
        }
        Path l = copy.resolve("spinneret");
        Files.writeString(l, changed);
        l.toFile().setExecutable(true);
        return l;
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
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderippools], verbs: [get]}
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderendpoints], verbs: [get, create, patch]}
                  - {apiGroups: [spiderpool.spidernet.io], resources: [spiderendpoints/status], verbs: [get, patch]}
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
