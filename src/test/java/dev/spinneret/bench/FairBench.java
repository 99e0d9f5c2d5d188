package dev.spinneret.bench;

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
import java.util.function.ToDoubleFunction;

/**
 * Issue #24 items 3 and 4: Spinneret, Spiderpool and Whereabouts, each in its own throwaway control plane on this
 * machine, in the same run, each timed for the same unit of work — per pod, the pod create through the API (only
 * Spinneret installs a webhook that sees it) followed by the system's CNI ADD for that pod — at each concurrency,
 * the order of the systems rotating every round. Per pod: wall time, pods/s, and what the pod cost the cluster in CPU
 * (plugin, the system's daemons, kube-apiserver, etcd) and in etcd WAL bytes ({@link ClusterCost}).
 *
 * <pre>bench/run.sh FairBench [N=100] [CONCURRENCY=1,8] [ROUNDS=3]</pre>
 * SPINNERET_BENCH_WARMUP = pods each system does first, unreported (default 300). bench/run.sh builds Whereabouts, Spiderpool (integration-tests/scripts/build-spiderpool.sh) and the Go plugin and
 * passes SPINNERET_WHEREABOUTS_BIN, SPINNERET_WHEREABOUTS_CRDS and SPINNERET_SPIDERPOOL_BIN_DIR. Needs root (the
 * network namespace Spiderpool's plugin opens). Writes bench/results/&lt;date&gt;-fair-bench-n&lt;N&gt;.md.
 */
public final class FairBench {
    /** Issue #24: Spinneret's pods/s at least this multiple of each peer's. */
    static final Map<String, Double> THROUGHPUT_TARGET = Map.of("Spiderpool", 1.0, "Whereabouts", 3.0);

    public static void main(String[] args) {
        BenchMain.run(args, FairBench::main0);
    }

    static void main0(String[] args) throws Exception {
        if (args.length > 3) {
            throw new IllegalArgumentException("usage: FairBench [N=100] [CONCURRENCY=1,8] [ROUNDS=3]");
        }
        int n = args.length > 0 ? PodAdmissionBench.positive(args[0], "N (pods per run)") : 100;
        List<Integer> concurrency = new ArrayList<>();
        for (String c : (args.length > 1 ? args[1] : "1,8").split(",")) {
            int v = PodAdmissionBench.positive(c, "concurrency");
            if (v > 64 || v > n) {
                throw new IllegalArgumentException("concurrency must be at most 64 and at most N, got " + v);
            }
            concurrency.add(v);
        }
        int rounds = args.length > 2 ? PodAdmissionBench.positive(args[2], "ROUNDS") : 3;
        if (n > 60000 || rounds > 5) { // Whereabouts takes a fresh /16 per run, 16 of them
            throw new IllegalArgumentException("N must be at most 60000 and ROUNDS at most 5, got " + n + ", " + rounds);
        }
        Path wbBin = BenchSupport.requiredPath("SPINNERET_WHEREABOUTS_BIN", "the whereabouts binary");
        Path wbCrds = BenchSupport.requiredPath("SPINNERET_WHEREABOUTS_CRDS", "whereabouts' doc/crds directory");
        Path spDir = BenchSupport.spiderpoolDir();
        if (spDir == null) {
            throw new IllegalArgumentException("SPINNERET_SPIDERPOOL_BIN_DIR must name a Spiderpool build "
                    + "(integration-tests/scripts/build-spiderpool.sh; bench/run.sh FairBench sets it)");
        }
        Path work = Files.createTempDirectory("spn-fair-bench");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> BenchSupport.LIVE.forEach(Process::destroyForcibly)));
        String uptimeStart = uptime();
        long started = System.nanoTime();

        List<FairSide> sides = new ArrayList<>();
        sides.add(new WhereaboutsFairSide(wbBin, wbCrds, work));
        sides.add(new SpiderpoolFairSide(spDir, work));
        sides.add(new SpinneretFairSide(work));
        String k8s = sides.get(0).cluster.kubectl(null, "version", "-o", "json").ok().out()
                .replaceAll("(?s).*\"serverVersion\".*?\"gitVersion\":\\s*\"([^\"]+)\".*", "$1");
        Map<String, Double> idle = new LinkedHashMap<>();
        for (FairSide side : sides) {
            idle.put(side.name, side.idleCpuPerSecond(10_000));
        }
        // a long-running service is warm: every system does this many pods first (JIT, caches, page cache), unreported
        int warm = PodAdmissionBench.positive(System.getenv().getOrDefault("SPINNERET_BENCH_WARMUP", "300"),
                "SPINNERET_BENCH_WARMUP");
        int cMax = concurrency.stream().max(Integer::compare).orElseThrow();
        for (FairSide side : sides) {
            side.run(warm, cMax, "warm");
        }
        Map<String, List<FairSide.Run>> results = new LinkedHashMap<>();
        StringBuilder rows = new StringBuilder();
        for (int round = 1; round <= rounds; round++) {
            for (int c : concurrency) {
                for (int k = 0; k < sides.size(); k++) {
                    FairSide side = sides.get((k + round - 1) % sides.size());
                    FairSide.Run run = side.run(n, c, "c" + c + "r" + round);
                    results.computeIfAbsent(side.name + c, x -> new ArrayList<>()).add(run);
                    ClusterCost p = run.cost();
                    String line = String.format(Locale.ROOT,
                            "| %d | %d | %s | %d | %.1f | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.2f | %s |%n",
                            c, round, side.name, k + 1, run.perSec(), ms(BenchSupport.pct(run.perPod(), 50)),
                            ms(BenchSupport.pct(run.perPod(), 99)), p.pluginCpu() * 1e3, p.daemonCpu() * 1e3,
                            p.apiserverCpu() * 1e3, p.etcdCpu() * 1e3, p.clusterCpu() * 1e3, p.kcmCpu() * 1e3,
                            p.walWritten() / 1e3, run.load());
                    System.out.print(line);
                    rows.append(line);
                }
            }
        }
        String uptimeEnd = uptime();
        double minutes = (System.nanoTime() - started) / 60e9;
        String usage = ((SpinneretFairSide) sides.get(2)).cluster.serviceUsage();
        String spUsage = ((SpiderpoolFairSide) sides.get(1)).usage();
        String spRetries = ((SpiderpoolFairSide) sides.get(1)).retries();
        StringBuilder r = new StringBuilder();
        header(r, n, concurrency, rounds, warm, cMax, uptimeStart, uptimeEnd, minutes, k8s, sides);
        r.append("* Idle, before the warm-up (10 s each): daemons + kube-apiserver + etcd used ");
        idle.forEach((name, cpu) -> r.append(String.format(Locale.ROOT, "%s %.0f ms/s, ", name, cpu * 1e3)));
        r.setLength(r.length() - 2);
        r.append(" of CPU; over a run that idle share is in the figures below as well.\n");
        summary(r, concurrency, sides, results);
        r.append("\n## Every run\n\nCPU columns in ms per pod, WAL in KB per pod.\n\n")
                .append("| C | round | system | position | pods/s | per pod p50 | per pod p99 | plugin | daemons | apiserver ")
                .append("| etcd | cluster CPU | (kcm) | etcd WAL | load 1 min |\n")
                .append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n").append(rows)
                .append("\nGrowth of etcd's `member/wal` directory over all timed runs: ").append(walDirGrowth(sides, results))
                .append(".\n\nAfter the run: Spinneret service ").append(usage).append("Spiderpool ").append(spUsage)
                .append(".\n\nSpiderpool ADDs retried because its agent's pod cache had not yet seen the pod just created ")
                .append("(a kubelet's ADD comes after scheduling, much later; the retry, 20 ms later, is in the time and ")
                .append("CPU): ").append(spRetries).append(" (warm-up included).\n");
        // a profiling run (JFR in the service) is reported apart: the recording costs the service CPU
        boolean jfr = System.getenv().getOrDefault("SPINNERET_JAVA_OPTS", "").contains("StartFlightRecording");
        BenchMain.writeReport("fair-bench-n" + n + (jfr ? "-jfr" : ""), r);
        for (FairSide side : sides) {
            side.close();
        }
        try (var files = Files.walk(work)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    static void header(StringBuilder r, int n, List<Integer> concurrency, int rounds, int warm, int cMax,
            String uptimeStart, String uptimeEnd, double minutes, String k8s, List<FairSide> sides) {
        r.append("# Spinneret, Spiderpool and Whereabouts: one fair bench (issue #24 items 3 and 4)\n\n")
                .append("Date ").append(LocalDate.now()).append("; machine: ").append(BenchSupport.machine())
                .append(".\nLoad (`uptime`) before: `").append(uptimeStart).append("`; after: `").append(uptimeEnd)
                .append("` (").append(String.format(Locale.ROOT, "%.1f", minutes)).append(" min run).\n\n")
                .append("Versions: Kubernetes ").append(k8s).append(" (kube-apiserver, etcd, kube-controller-manager; ")
                .append("no scheduler or kubelet) — three control planes, one per system; ");
        for (FairSide side : sides) {
            r.append(side.describe()).append("; ");
        }
        r.append("\n\nCommand: `bench/run.sh FairBench ").append(n).append(' ')
                .append(String.join(",", concurrency.stream().map(String::valueOf).toList())).append(' ').append(rounds)
                .append("` (SPINNERET_BENCH_WARMUP=").append(warm).append(")").append(": N=").append(n).append(" pods per run, ").append(rounds).append(" rounds, after one unreported ")
                .append(warm).append("-pod warm-up of each system at concurrency ").append(cMax)
                .append("; the system that goes first rotates every round.\n\n")
                .append("Method:\n")
                .append("* Each system has its own control plane (control-plane.sh: etcd, kube-apiserver, ")
                .append("kube-controller-manager), all three up for the whole run. Spiderpool's has only Spiderpool's CRDs ")
                .append("(its chart's `crds/`) and no Spinneret; Whereabouts' has only its two CRDs; Spinneret's has its ")
                .append("CRDs, one service instance and its webhooks (spinneret-local.sh).\n")
                .append("* Unit of work, timed per pod and per run: create the pod through the API, then run the system's ")
                .append("CNI ADD for it (a fork/exec of its real plugin binary, stdin = network config), C pods at a time. ")
                .append("Spinneret: the create goes through its pod webhook (the reservation) and its plugin reads the pod ")
                .append("and confirms on the SpiderEndpoint. Spiderpool: a plain create (its pod webhook is off by default ")
                .append("and not registered), then its plugin → agent over the unix socket → pool status + SpiderEndpoint ")
                .append("(its plugin opens CNI_NETNS: an empty network namespace). Whereabouts: a plain create, then its ")
                .append("binary's ADD (IPPool update under its Lease-based leader election; it reads no pod).\n")
                .append("* Every run takes addresses from a fresh pool of exactly N addresses; the pool, the namespace ")
                .append("and the release of the addresses are outside the timed part, and the next run starts after they ")
                .append("are done. A run fails unless the pool holds exactly N allocations. (Spiderpool's controller cannot ")
                .append("release a deleted pod that was never bound to a node, so the bench drops its SpiderEndpoints' ")
                .append("finalizer in that clean-up.)\n")
                .append("* pods/s = N / wall time of the run. CPU = user + system time from /proc/<pid>/stat, before ")
                .append("the timed part and 2 s after it (the work the pods set off that trails the last ADD: Spinneret ")
                .append("writes the pool's counts about a second behind, controllers react to the pods), divided by N: ")
                .append("*plugin* = the plugin processes (reaped children of the bench JVM), *daemons* = Spinneret's service JVM / Spiderpool's agent + controller / none for Whereabouts, ")
                .append("*apiserver* and *etcd* of that system's control plane. *Cluster CPU* = plugin + daemons + ")
                .append("apiserver + etcd. *(kcm)* = its kube-controller-manager, shown, not added. The bench JVM's own ")
                .append("CPU (the pod creates, the same for all three) is in none of them.\n")
                .append("* etcd WAL = `etcd_disk_wal_write_bytes_total` added over the same span. The size of ")
                .append("`member/wal` before and after, which the issue names, does not move: etcd pre-allocates its WAL ")
                .append("in 64 MB segments, so the directory grows by 0 or by 64 MB.\n")
                .append("* The three control planes share the machine: while one system is timed the other two are idle ")
                .append("(their CPU is not counted for it, but they take a little of the machine).\n");
    }

    static void summary(StringBuilder r, List<Integer> concurrency, List<FairSide> sides,
            Map<String, List<FairSide.Run>> results) {
        r.append("\n## Per pod, per concurrency (medians over the rounds; pods/s with min–max; latencies pooled)\n\n")
                .append("CPU in ms per pod, WAL in KB per pod.\n\n")
                .append("| C | system | pods/s | per pod p50 / p99 | plugin CPU | daemon CPU | apiserver CPU | etcd CPU ")
                .append("| **cluster CPU** | etcd WAL | API requests |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (int c : concurrency) {
            for (FairSide side : sides) {
                List<FairSide.Run> runs = results.get(side.name + c);
                long[] pooled = runs.stream().flatMapToLong(x -> Arrays.stream(x.perPod())).toArray();
                r.append(String.format(Locale.ROOT,
                        "| %d | %s | %.1f [%.1f–%.1f] | %s / %s | %.1f | %.1f | %.1f | %.1f | **%.1f** | %.2f | %.1f |%n", c,
                        side.name, median(runs, FairSide.Run::perSec), min(runs, FairSide.Run::perSec),
                        max(runs, FairSide.Run::perSec), ms(BenchSupport.pct(pooled, 50)),
                        ms(BenchSupport.pct(pooled, 99)), median(runs, x -> x.cost().pluginCpu() * 1e3),
                        median(runs, x -> x.cost().daemonCpu() * 1e3), median(runs, x -> x.cost().apiserverCpu() * 1e3),
                        median(runs, x -> x.cost().etcdCpu() * 1e3), median(runs, x -> x.cost().clusterCpu() * 1e3),
                        median(runs, x -> x.cost().walWritten() / 1e3), median(runs, x -> ApiRequests.total(x.requests()))));
            }
        }
        int cMax = concurrency.stream().max(Integer::compare).orElseThrow();
        r.append("\n## API requests per pod, by verb and resource (concurrency ").append(cMax)
                .append(", mean over the rounds)\n\nWhat each system's pods made the API server do; *webhook call* = ")
                .append("calls the API server made to an admission webhook.\n\n");
        for (FairSide side : sides) {
            List<FairSide.Run> runs = results.get(side.name + cMax);
            Map<String, Double> mean = new java.util.TreeMap<>();
            runs.forEach(x -> x.requests().forEach((k, v) -> mean.merge(k, v / runs.size(), Double::sum)));
            r.append("* ").append(side.name).append(": ");
            mean.entrySet().stream().filter(e -> e.getValue() >= 0.05)
                    .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                    .forEach(e -> r.append(String.format(Locale.ROOT, "%s %.2f, ", e.getKey(), e.getValue())));
            r.setLength(r.length() - 2);
            r.append('\n');
        }
        r.append("\n## Targets (issue #24 item 4)\n\n| C | target | measured | |\n|---|---|---|---|\n");
        for (int c : concurrency) {
            List<FairSide.Run> spn = results.get("Spinneret" + c);
            for (var t : new java.util.TreeMap<>(THROUGHPUT_TARGET).entrySet()) {
                double ratio = median(spn, FairSide.Run::perSec) / median(results.get(t.getKey() + c), FairSide.Run::perSec);
                r.append(String.format(Locale.ROOT, "| %d | Spinneret pods/s ≥ %.0f× %s's | %.2f× | %s |%n", c,
                        t.getValue(), t.getKey(), ratio, ratio >= t.getValue() ? "met"
                                : String.format(Locale.ROOT, "missed by a factor of %.2f", t.getValue() / ratio)));
            }
            double mine = median(spn, x -> x.cost().clusterCpu());
            double theirs = median(results.get("Spiderpool" + c), x -> x.cost().clusterCpu());
            r.append(String.format(Locale.ROOT, "| %d | Spinneret cluster CPU per pod ≤ Spiderpool's | %.1f ms vs %.1f ms | %s |%n",
                    c, mine * 1e3, theirs * 1e3, mine <= theirs ? "met"
                            : String.format(Locale.ROOT, "missed by %.1f ms (%.0f %%)", (mine - theirs) * 1e3,
                                    (mine / theirs - 1) * 100)));
        }
    }

    static String walDirGrowth(List<FairSide> sides, Map<String, List<FairSide.Run>> results) {
        List<String> out = new ArrayList<>();
        for (FairSide side : sides) {
            double bytes = 0;
            for (var e : results.entrySet()) {
                if (e.getKey().startsWith(side.name)) {
                    for (FairSide.Run run : e.getValue()) {
                        bytes += run.cost().walDir() * run.perPod().length;
                    }
                }
            }
            out.add(side.name + " " + String.format(Locale.ROOT, "%.0f", bytes) + " bytes");
        }
        return String.join(", ", out);
    }

    static double median(List<FairSide.Run> runs, ToDoubleFunction<FairSide.Run> f) {
        double[] v = runs.stream().mapToDouble(f).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double min(List<FairSide.Run> runs, ToDoubleFunction<FairSide.Run> f) {
        return runs.stream().mapToDouble(f).min().orElseThrow();
    }

    static double max(List<FairSide.Run> runs, ToDoubleFunction<FairSide.Run> f) {
        return runs.stream().mapToDouble(f).max().orElseThrow();
    }

    static String ms(long nanos) {
        return String.format(Locale.ROOT, "%.0f ms", nanos / 1e6);
    }

    static String uptime() {
        try {
            Process p = new ProcessBuilder("uptime").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            return out;
        } catch (Exception e) {
            return "load average " + BenchSupport.loadavg();
        }
    }
}
