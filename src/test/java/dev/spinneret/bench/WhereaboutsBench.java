package dev.spinneret.bench;

import dev.spinneret.e2e.BenchCluster;
import dev.spinneret.e2e.GoPlugin;
import dev.spinneret.e2e.SpiderpoolHost;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Issue #7 scenarios 4 and 5: Whereabouts v0.9.2's IPAM binary against Spinneret's full path, side by side in one
 * control plane, alternating, several rounds, at each concurrency.
 * <ul>
 * <li>Whereabouts: its binary's CNI ADD for N pod names against a fresh range of exactly N addresses (one IPPool per
 * run). v0.9.2's ADD never reads the pod (it only needs K8S_POD_NAMESPACE/NAME for the podRef and the lease
 * identity) and never enters CNI_NETNS, so no pods are created and the netns is a dummy path. Its IPPools and
 * OverlappingRangeIPReservations are deleted between runs, outside the timed part.</li>
 * <li>Spinneret: per pod, the pod create through the API (the webhook reserves from a pool of exactly N addresses)
 * followed by the CNI plugin's ADD for that pod (read and confirm). The ADD alone is scenario 5.</li>
 * <li>Spiderpool (scenario 6, when SPINNERET_SPIDERPOOL_BIN_DIR names a build and the bench runs as root): its
 * plugin's ADD against its agent, which runs outside a pod on this host.</li>
 * <li>Spinneret admission only: the pod creates alone, to show where Spinneret's time goes.</li>
 * </ul>
 * Each call is a fork/exec of the plugin binary, as a container runtime does it.
 *
 * <pre>bench/run.sh WhereaboutsBench [N=200] [CONCURRENCY=1,8] [ROUNDS=3]</pre>
 * bench/run.sh builds Whereabouts (integration-tests/whereabouts-bin/build.sh) and passes
 * SPINNERET_WHEREABOUTS_BIN and SPINNERET_WHEREABOUTS_CRDS. Writes bench/results/&lt;date&gt;-whereabouts-side-by-side.md.
 */
public final class WhereaboutsBench {
    static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();
    static final String RESERVATIONS = "overlappingrangeipreservations.whereabouts.cni.cncf.io";
    static final String POOLS = "ippools.whereabouts.cni.cncf.io";

    /** One timed run: wall time and per-pod nanos (full path; for Spinneret also create and ADD alone). */
    record Run(double perSec, long[] full, long[] create, long[] addOnly, double cpuMsPerCall, String load) {
        /** The plugin call alone (for Whereabouts and Spiderpool the whole timed part). */
        long[] add() {
            return addOnly[0] == 0 && create[0] == 0 ? full : addOnly;
        }
    }

    interface Side {
        Run run(int n, int c, String tag) throws Exception;
    }

    public static void main(String[] args) {
        BenchMain.run(args, WhereaboutsBench::main0);
    }

    static void main0(String[] args) throws Exception {
        if (args.length > 3) {
            throw new IllegalArgumentException("usage: WhereaboutsBench [N=200] [CONCURRENCY=1,8] [ROUNDS=3]");
        }
        int n = args.length > 0 ? PodAdmissionBench.positive(args[0], "N (pods per run)") : 200;
        List<Integer> concurrency = new ArrayList<>();
        for (String c : (args.length > 1 ? args[1] : "1,8").split(",")) {
            int v = PodAdmissionBench.positive(c, "concurrency");
            if (v > 64 || v > n) {
                throw new IllegalArgumentException("concurrency must be at most 64 and at most N, got " + v);
            }
            concurrency.add(v);
        }
        int rounds = args.length > 2 ? PodAdmissionBench.positive(args[2], "ROUNDS") : 3;
        if (n > 60000) {
            throw new IllegalArgumentException("N must be at most 60000 (one /16 range), got " + n);
        }
        if (rounds > 50) {
            throw new IllegalArgumentException("ROUNDS must be at most 50, got " + rounds);
        }
        Path wbBin = requiredPath("SPINNERET_WHEREABOUTS_BIN", "the whereabouts binary");
        Path crds = requiredPath("SPINNERET_WHEREABOUTS_CRDS", "whereabouts' doc/crds directory");
        List<String> plugin = spinneretPlugin();
        Path spiderpoolDir = spiderpoolDir();
        Path work = Files.createTempDirectory("spn-wb-bench");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            LIVE.forEach(Process::destroyForcibly); // Ctrl-C: no orphaned plugin processes
        }));
        String loadStart = loadavg();
        long started = System.nanoTime();

        BenchCluster cluster = BenchCluster.start(1);
        Path kubeconfig = Path.of(cluster.env("KUBECONFIG"));
        Matcher server = Pattern.compile("server:\\s*(\\S+)").matcher(Files.readString(kubeconfig));
        if (!server.find() || !server.group(1).startsWith("https://127.0.0.1:")) {
            throw new IllegalStateException("the bench kubeconfig must point at 127.0.0.1, not " + server);
        }
        for (String crd : List.of("whereabouts.cni.cncf.io_ippools.yaml",
                "whereabouts.cni.cncf.io_overlappingrangeipreservations.yaml")) {
            cluster.kubectl(null, "apply", "-f", crds.resolve(crd).toString()).ok();
        }
        cluster.kubectl(null, "wait", "--for=condition=Established", "--timeout=60s", "crd/" + POOLS,
                "crd/" + RESERVATIONS).ok();
        String k8s = cluster.kubectl(null, "version", "-o", "json").ok().out()
                .replaceAll("(?s).*\"serverVersion\".*?\"gitVersion\":\\s*\"([^\"]+)\".*", "$1");
        KubernetesClient client = cluster.client(64);
        Bench b = new Bench(cluster, client, wbBin, plugin, kubeconfig, work);
        Map<String, Side> sides = new LinkedHashMap<>();
        sides.put("Whereabouts", b::whereabouts);
        sides.put("Spinneret", (n1, c1, tag1) -> b.spinneret(n1, c1, tag1, true));
        // not the comparison (that is the full path above), but it shows where the time goes
        sides.put("Spinneret admission only", (n1, c1, tag1) -> b.spinneret(n1, c1, tag1 + "a", false));
        String spiderpoolNote = spiderpoolDir == null ? "not run (SPINNERET_SPIDERPOOL_BIN_DIR unset)" : null;
        if (spiderpoolDir != null) {
            b.startSpiderpool(spiderpoolDir);
            sides.put("Spiderpool", b::spiderpool);
        }

        // warm-up (not reported): the service's JIT, the API server's caches, the page cache of the binaries
        for (Side side : sides.values()) {
            side.run(Math.min(n, 50), 1, "warm");
        }
        List<String> names = new ArrayList<>(sides.keySet());
        Map<String, List<Run>> results = new LinkedHashMap<>();
        StringBuilder rows = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            for (int c : concurrency) {
                for (int k = 0; k < names.size(); k++) { // rotate which side goes first
                    String name = names.get((k + round - 1) % names.size());
                    Run run = sides.get(name).run(n, c, "c" + c + "r" + round);
                    results.computeIfAbsent(name + c, x -> new ArrayList<>()).add(run);
                    String line = String.format(Locale.ROOT, "| %d | %d | %s | %d | %.1f | %s | %s | %s | %s | %s | %.0f ms | %s |%n",
                            c, round, name, k + 1, run.perSec, ms(pct(run.full, 50)), ms(pct(run.full, 99)),
                            name.startsWith("Spinneret") ? ms(pct(run.create, 50)) : "–", addMs(run, 50), addMs(run, 95),
                            run.cpuMsPerCall, run.load);
                    System.out.print(line);
                    rows.append(line);
                }
            }
        }
        String loadEnd = loadavg();
        double minutes = (System.nanoTime() - started) / 60e9;

        StringBuilder r = new StringBuilder("# Whereabouts v0.9.2 and Spinneret, side by side (issue #7 scenarios 4, 5 and 6)\n\n");
        r.append("Date ").append(LocalDate.now()).append("; machine: ").append(machine()).append("; load average (1/5/15 min) ")
                .append(loadStart).append(" at start, ").append(loadEnd).append(" at end (")
                .append(String.format(Locale.ROOT, "%.1f", minutes)).append(" min run, machine shared with other builds).\n\n")
                .append("Versions: Kubernetes ").append(k8s).append(" (kube-apiserver, etcd 3.6.16, kube-controller-manager; ")
                .append("no scheduler or kubelet), Whereabouts v0.9.2 (`").append(firstLine(wbBin.getParent().resolve(".stamp")))
                .append("`), Spinneret service (1 instance, Quarkus JVM, Java ").append(System.getProperty("java.version"))
                .append("), Spinneret CNI plugin: ").append(pluginDescription(plugin)).append(", Spiderpool: ")
                .append(spiderpoolNote != null ? spiderpoolNote : firstLine(spiderpoolDir.resolve("VERSION")))
                .append(".\n\nCommand: `bench/run.sh WhereaboutsBench ").append(n).append(' ')
                .append(String.join(",", concurrency.stream().map(String::valueOf).toList())).append(' ').append(rounds)
                .append("`; N=").append(n).append(" pods per run, ").append(rounds).append(" round(s), after one unreported ")
                .append(Math.min(n, 50)).append("-pod warm-up of each side; the side that goes first rotates every round.\n\n")
                .append("What is timed (every plugin call is a fork/exec of the real binary, stdin = network config):\n")
                .append("* **Whereabouts**: CNI ADD of its binary for N pod names, concurrency C, against a fresh range of exactly N ")
                .append("addresses (`range` a /16 with `range_start`/`range_end`, the flat file `whereabouts.conf` naming the ")
                .append("kubeconfig as the DaemonSet would; one IPPool per run, leader election on the ")
                .append("`kube-system/whereabouts` Lease with the defaults 1500/1000/500 ms). v0.9.2's ADD does not read the pod ")
                .append("and does not enter the netns, so no pods exist and `CNI_NETNS` is a dummy path.\n")
                .append("* **Spinneret**: per pod, create the pod through the API (the webhook reserves from a SpiderIPPool of ")
                .append("exactly N addresses) and then run the CNI plugin's ADD for it (GET pod, confirm on the ")
                .append("SpiderEndpoint). *Per pod* = create + ADD of one pod; the ADD columns alone are scenario 5. ")
                .append("*Spinneret admission only* = the same pod creates without the plugin call (the reservation alone; ")
                .append("shown to locate the cost, not the comparison the issue asks for).\n")
                .append("* **Spiderpool** (scenario 6, only when run): its `spiderpool` plugin's ADD → `spiderpool-agent` over the ")
                .append("agent's unix socket → pool status update + SpiderEndpoint, from a SpiderIPPool of exactly N addresses. ")
                .append("The agent runs outside a pod on this host (kubeconfig, node name from the environment); the plugin ")
                .append("insists on opening CNI_NETNS, so an empty network namespace is used. Its agent reads the pod, so the ")
                .append("pods are created first (namespace labelled `spinneret.dev/ignore=true`, so Spinneret's webhook skips ")
                .append("them) and that is **not** timed.\n")
                .append("* allocations/s = N / wall time of the run. *plugin CPU/ADD* = user+sys CPU of the plugin processes ")
                .append("(reaped children of the bench JVM) per call; daemons (Spinneret service, Spiderpool agent) are not in it.\n")
                .append("* Not timed: namespace and pool set-up, and the clean-up between runs.\n\n")
                .append("## Every run\n\n")
                .append("| C | round | side | position | alloc/s | per pod p50 | per pod p99 | pod create p50 | ADD p50 | ADD p95 ")
                .append("| plugin CPU/ADD | load 1 min |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n").append(rows)
                .append("\n## Per concurrency (median over rounds, min–max in brackets; latencies pooled over all rounds)\n\n")
                .append("| C | side | alloc/s | Spinneret / this | per pod p50 / p99 | ADD p50 / p95 | plugin CPU/ADD |\n")
                .append("|---|---|---|---|---|---|---|\n");
        for (int c : concurrency) {
            double sm = median(results.get("Spinneret" + c));
            for (String name : names) {
                List<Run> runs = results.get(name + c);
                double m = median(runs);
                long[] full = pooled(runs, Run::full);
                long[] add = pooled(runs, Run::add);
                double wm = median(results.get("Whereabouts" + c));
                String ratio = name.equals("Spinneret") ? "–"
                        : name.startsWith("Spinneret") ? String.format(Locale.ROOT, "(this / Whereabouts: %.2f×)", m / wm)
                        : String.format(Locale.ROOT, "%.2f× (issue #12 target ≥ %.1f×: %s)", sm / m, target(name), sm / m >= target(name)
                                ? "met" : String.format(Locale.ROOT, "missed by a factor of %.2f", target(name) / (sm / m)));
                boolean noAdd = runs.get(0).addOnly[0] == 0 && runs.get(0).create[0] != 0;
                r.append(String.format(Locale.ROOT, "| %d | %s | %.1f [%.1f–%.1f] | %s | %s / %s | %s | %.0f ms |%n",
                        c, name, m, min(runs), max(runs), ratio, ms(pct(full, 50)), ms(pct(full, 99)),
                        noAdd ? "–" : ms(pct(add, 50)) + " / " + ms(pct(add, 95)),
                        runs.stream().mapToDouble(Run::cpuMsPerCall).average().orElse(0)));
            }
        }
        r.append("\nSpinneret service after the run: ").append(cluster.serviceUsage()).append("\n");
        if (b.agent != null) {
            r.append("Spiderpool agent after the run: ").append(usage(b.agent.pid())).append("\n");
        }
        BenchMain.writeReport("whereabouts-side-by-side", r);
        client.close();
        cluster.stop();
        try (var files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    /** The runs, sharing the cluster, the binaries and a counter of fresh ranges. */
    static final class Bench {
        final BenchCluster cluster;
        final KubernetesClient client;
        final Path wbBin;
        final List<String> plugin;
        final Path kubeconfig;
        final Path work;
        int nextRange = 16;
        Path spDir; // Spiderpool (scenario 6): binaries dir, or null when not run
        String netns;
        SpiderpoolHost spiderpool;
        Process agent;

        Bench(BenchCluster cluster, KubernetesClient client, Path wbBin, List<String> plugin, Path kubeconfig, Path work) {
            this.cluster = cluster;
            this.client = client;
            this.wbBin = wbBin;
            this.plugin = plugin;
            this.kubeconfig = kubeconfig;
            this.work = work;
        }

        /**
         * Starts Spiderpool's agent outside a pod and makes the empty network namespace its plugin insists on
         * opening ({@link SpiderpoolHost}). Its missing CRDs come from its chart; SpiderIPPool and SpiderEndpoint are
         * the ones Spinneret installed (same group and version).
         */
        void startSpiderpool(Path dir) throws Exception {
            spDir = dir;
            try (var crds = Files.list(dir.resolve("crds"))) {
                for (Path crd : crds.sorted().toList()) {
                    cluster.kubectl(null, "apply", "-f", crd.toString()).ok();
                }
            }
            spiderpool = new SpiderpoolHost(dir, kubeconfig, work.resolve("spiderpool"));
            Runtime.getRuntime().addShutdownHook(new Thread(spiderpool::close));
            netns = spiderpool.netns;
            spiderpool.startAgent("bench-node", false, "error");
            agent = spiderpool.agent();
            LIVE.add(agent);
        }

        /** Spiderpool's ADD (plugin → agent over its unix socket → pool status + SpiderEndpoint); pods made first. */
        Run spiderpool(int n, int c, String tag) throws Exception {
            String ns = "sps-" + tag;
            cluster.preparePool(ns, n);
            cluster.namespace(ns, ns);
            cluster.kubectl(null, "label", "namespace", ns, "spinneret.dev/ignore=true").ok(); // Spinneret's webhook skips it
            // Spinneret stores its compact ledger in status.allocatedIPs ("" when empty); Spiderpool's agent wants JSON
            // there and fails on "" ("unexpected end of JSON input"), so this pool starts with no ledger at all
            cluster.kubectl(null, "patch", "spiderippool", ns, "--subresource=status", "--type=merge", "-p",
                    "{\"status\":{\"allocatedIPs\":null}}").ok();
            String[] uid = new String[n];
            timed(n, c, i -> {
                uid[i] = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p" + i)
                        .withNamespace(ns).endMetadata().withNewSpec().addNewContainer().withName("c")
                        .withImage("nginx").endContainer().endSpec().build()).create().getMetadata().getUid();
                return new long[3];
            }, "");
            String conf = spiderpool.pluginConf(ns, "error");
            String load = loadavg().split(" ")[0];
            Run run = timed(n, c, i -> {
                long t0 = System.nanoTime();
                cni(List.of(spDir.resolve("spiderpool").toString()), conf, "sp-" + tag + "-" + i,
                        "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=p" + i + ";K8S_POD_UID=" + uid[i],
                        "/var/run/netns/" + netns);
                return new long[] { System.nanoTime() - t0, 0, 0 };
            }, load);
            String count = cluster.kubectl(null, "get", "spiderippool", ns, "-o", "jsonpath={.status.allocatedIPCount}").ok()
                    .out().trim();
            if (!count.equals(String.valueOf(n))) {
                throw new IllegalStateException("Spiderpool's pool " + ns + " holds " + count + " allocations, not " + n);
            }
            cluster.deleteNamespace(ns);
            // Spinneret's garbage-collection sweep refuses a pool whose ledger is in Spiderpool's JSON form (and the
            // whole sweep with it): empty the ledger again and drop the pool
            cluster.kubectl(null, "patch", "spiderippool", ns, "--subresource=status", "--type=merge", "-p",
                    "{\"status\":{\"allocatedIPs\":null,\"allocatedIPCount\":0}}").ok();
            cluster.kubectl(null, "delete", "spiderippool", ns, "--wait=false").ok();
            return run;
        }

        Run whereabouts(int n, int c, String tag) throws Exception {
            if (nextRange > 31) {
                throw new IllegalStateException("out of 172.16-31 ranges: too many runs");
            }
            String base = "172." + nextRange++ + ".0.";
            String conf = """
                    {"cniVersion":"1.0.0","name":"wb-bench","type":"macvlan","master":"none",
                     "ipam":{"type":"whereabouts","range":"%s0/16","range_start":"%s1","range_end":"%s",
                      "configuration_path":"%s","log_file":"%s","log_level":"error","kubernetes":{"kubeconfig":"%s"}}}
                    """.formatted(base, base, IpAddress.parse(base + "1").plus(n - 1), flatFile(),
                    work.resolve("whereabouts.log"), kubeconfig);
            String load = loadavg().split(" ")[0];
            Run run = timed(n, c, i -> {
                long t0 = System.nanoTime();
                cni(List.of(wbBin.toString()), conf, "wb-" + tag + "-" + i,
                        "IgnoreUnknown=1;K8S_POD_NAMESPACE=wb-" + tag + ";K8S_POD_NAME=p" + i);
                return new long[] { System.nanoTime() - t0, 0, 0 };
            }, load);
            // clean-up, not timed: the next run starts from a fresh range either way
            cluster.kubectl(null, "delete", POOLS + "," + RESERVATIONS, "--all", "-n", "kube-system", "--wait=false").ok();
            return run;
        }

        /** v0.9.2 refuses to run without its flat config file (the DaemonSet writes one next to the kubeconfig). */
        String flatFile() throws IOException {
            Path f = work.resolve("whereabouts.conf");
            Files.writeString(f, "{\"kubernetes\":{\"kubeconfig\":\"" + kubeconfig + "\"}}\n");
            return f.toString();
        }

        Run spinneret(int n, int c, String tag, boolean add) throws Exception {
            String ns = "wbs-" + tag;
            cluster.preparePool(ns, n);
            cluster.namespace(ns, ns);
            String conf = """
                    {"cniVersion":"1.0.0","name":"spn-bench","type":"macvlan","master":"none",
                     "ipam":{"type":"spinneret","kubeconfig":"%s","log_file_path":"%s","log_level":"error"}}
                    """.formatted(kubeconfig, work.resolve("spinneret-cni.log"));
            String load = loadavg().split(" ")[0];
            Run run = timed(n, c, i -> {
                long t0 = System.nanoTime();
                Pod p = client.pods().inNamespace(ns).resource(new PodBuilder().withNewMetadata().withName("p" + i)
                        .withNamespace(ns).endMetadata().withNewSpec().addNewContainer().withName("c")
                        .withImage("nginx").endContainer().endSpec().build()).create();
                long t1 = System.nanoTime();
                if (!add) {
                    return new long[] { t1 - t0, t1 - t0, 0 };
                }
                cni(plugin, conf, "spn-" + tag + "-" + i, "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=p" + i
                        + ";K8S_POD_UID=" + p.getMetadata().getUid());
                long t2 = System.nanoTime();
                return new long[] { t2 - t0, t1 - t0, t2 - t1 };
            }, load);
            cluster.deleteNamespace(ns);
            return run;
        }

        interface Pod1 {
            long[] run(int i) throws Exception;
        }

        static Run timed(int n, int c, Pod1 body, String load) throws Exception {
            ExecutorService ex = Executors.newFixedThreadPool(c);
            long[][] t = new long[n][];
            List<Future<?>> fs = new ArrayList<>();
            double cpu0 = childCpuMs();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int k = i;
                fs.add(ex.submit(() -> {
                    t[k] = body.run(k);
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
            return new Run(n / secs, column(t, 0), column(t, 1), column(t, 2), (childCpuMs() - cpu0) / n, load);
        }

        /** One CNI ADD as a runtime does it; fails the run unless the result carries an address. */
        void cni(List<String> cmd, String conf, String containerId, String cniArgs) throws Exception {
            cni(cmd, conf, containerId, cniArgs, "/var/run/netns/spn-bench-unused");
        }

        void cni(List<String> cmd, String conf, String containerId, String cniArgs, String netnsPath) throws Exception {
            cniAdd(cmd, conf, containerId, cniArgs, netnsPath, work);
        }
    }

    /** One CNI ADD as a runtime does it (CNI_PATH = work); fails unless the result carries an address. */
    static void cniAdd(List<String> cmd, String conf, String containerId, String cniArgs, String netnsPath, Path work)
            throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", containerId,
                "CNI_NETNS", netnsPath, "CNI_IFNAME", "eth0",
                "CNI_PATH", work.toString(), "CNI_ARGS", cniArgs));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(work.resolve("plugins.stderr").toFile()));
        Process p = pb.start();
        LIVE.add(p);
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(conf.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException(containerId + ": ADD did not finish within 120 s");
            }
            if (p.exitValue() != 0 || !out.contains("\"ips\"")) {
                throw new IllegalStateException(containerId + ": ADD failed (exit " + p.exitValue() + "): " + out);
            }
        } finally {
            p.destroyForcibly();
            LIVE.remove(p);
        }
    }

    /** CPU of reaped child processes (cutime + cstime of this JVM), ms. */
    static double childCpuMs() {
        try {
            String[] f = Files.readString(Path.of("/proc/self/stat")).split("\\) ")[1].split(" ");
            return (Long.parseLong(f[13]) + Long.parseLong(f[14])) * 10.0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Peak RSS and CPU seconds of a live process, from /proc. */
    static String usage(long pid) {
        try {
            String status = Files.readString(Path.of("/proc/" + pid + "/status"));
            Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(status);
            String[] f = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
            return "pid " + pid + ": peak RSS " + (m.find() ? Long.parseLong(m.group(1)) / 1024 + " MiB" : "?") + ", CPU "
                    + (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0 + " s";
        } catch (IOException | RuntimeException e) {
            return "pid " + pid + ": unavailable";
        }
    }

    static long[] column(long[][] t, int col) {
        long[] out = new long[t.length];
        for (int i = 0; i < t.length; i++) {
            out[i] = t[i][col];
        }
        return out;
    }

    static long[] pooled(List<Run> runs, java.util.function.Function<Run, long[]> f) {
        return runs.stream().flatMapToLong(r -> Arrays.stream(f.apply(r))).toArray();
    }

    /** Nearest-rank percentile of nanosecond samples. */
    static long pct(long[] v, double q) {
        long[] s = v.clone();
        Arrays.sort(s);
        int idx = (int) Math.ceil(q / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, idx))];
    }

    static String addMs(Run run, double q) {
        return run.addOnly[0] == 0 && run.create[0] != 0 ? "–" : ms(pct(run.add(), q));
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
    }

    static double median(List<Run> runs) {
        double[] v = runs.stream().mapToDouble(Run::perSec).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double min(List<Run> runs) {
        return runs.stream().min(Comparator.comparingDouble(Run::perSec)).orElseThrow().perSec;
    }

    static double max(List<Run> runs) {
        return runs.stream().max(Comparator.comparingDouble(Run::perSec)).orElseThrow().perSec;
    }

    static Path requiredPath(String var, String what) {
        String v = System.getenv(var);
        if (v == null || v.isBlank() || !Files.exists(Path.of(v))) {
            throw new IllegalArgumentException(var + " must name " + what + " (bench/run.sh WhereaboutsBench sets it), got "
                    + (v == null ? "nothing" : "\"" + v + "\""));
        }
        return Path.of(v).toAbsolutePath();
    }

    /** Scenario 6 (optional): a dir with spiderpool-agent, spiderpool, crds/ and VERSION; needs root (netns). */
    static Path spiderpoolDir() throws IOException {
        String v = System.getenv("SPINNERET_SPIDERPOOL_BIN_DIR");
        if (v == null || v.isBlank()) {
            return null;
        }
        Path d = Path.of(v).toAbsolutePath();
        for (String f : List.of("spiderpool-agent", "spiderpool")) {
            if (!Files.isExecutable(d.resolve(f))) {
                throw new IllegalArgumentException("SPINNERET_SPIDERPOOL_BIN_DIR=" + v + " lacks an executable " + f);
            }
        }
        if (!Files.isDirectory(d.resolve("crds"))) {
            throw new IllegalArgumentException("SPINNERET_SPIDERPOOL_BIN_DIR=" + v + " lacks crds/");
        }
        if (!Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))) {
            throw new IllegalArgumentException("Spiderpool's plugin opens CNI_NETNS, so the bench needs root for "
                    + "`ip netns add`; unset SPINNERET_SPIDERPOOL_BIN_DIR to skip it");
        }
        return d;
    }

    /** Issue #12: Spinneret's full path ≥ 3× Whereabouts' and ≥ 1.5× Spiderpool's pods/s. */
    static double target(String side) {
        return side.equals("Spiderpool") ? 1.5 : 3;
    }

    /** The Go plugin (target/cni/spinneret, built by mvn package or src/main/cni/build.sh). */
    static List<String> spinneretPlugin() throws Exception {
        return List.of(GoPlugin.binary().toString());
    }

    static String pluginDescription(List<String> plugin) {
        Path bin = Path.of(plugin.get(0));
        String size;
        try {
            size = String.format(Locale.ROOT, "%.1f MB", Files.size(bin) / 1e6);
        } catch (IOException e) {
            size = "?";
        }
        return "Go binary " + bin + " (" + size + ", static, built by src/main/cni/build.sh)";
    }

    static String firstLine(Path p) {
        return firstLine(p, "");
    }

    static String firstLine(Path p, String prefix) {
        try {
            return Files.readAllLines(p).stream().filter(l -> l.startsWith(prefix)).findFirst().orElse("?").trim();
        } catch (IOException e) {
            return "?";
        }
    }

    static String loadavg() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String machine() {
        String model = firstLine(Path.of("/proc/cpuinfo"), "model name").replaceFirst("model name\\s*:\\s*", "");
        String mem = firstLine(Path.of("/proc/meminfo"), "MemTotal:").replaceAll("\\D+", "");
        return Runtime.getRuntime().availableProcessors() + " cores (" + model + "), "
                + (mem.isEmpty() ? "?" : Long.parseLong(mem) / 1024 / 1024 + " GiB") + " RAM";
    }
}
