package dev.spinneret.e2e;

import dev.spinneret.bench.PodAdmissionBenchAccess;
import dev.spinneret.ip.IpAddress;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A control plane + Spinneret for benchmarks (its own directory, so it never collides with the test cluster), or a
 * control plane alone (for another IPAM system's side of a comparison).
 */
public final class BenchCluster {
    static final Path DIR = RealCluster.ROOT.resolve("target/bench-control-plane");
    private final Path dir;
    private final Map<String, String> env;
    private final Map<String, String> svc;
    private int nextCidr = 100;
    private Map<Double, Double> snapshot = new HashMap<>();

    private BenchCluster(Path dir, Map<String, String> env, Map<String, String> svc) {
        this.dir = dir;
        this.env = env;
        this.svc = svc;
    }

    public static BenchCluster start(int replicas) {
        return start(DIR, replicas);
    }

    /**
     * A control plane in {@code dir} (under target/) with {@code replicas} Spinneret instances and their webhooks;
     * 0 replicas: the control plane alone, no Spinneret CRD, service or webhook.
     */
    public static BenchCluster start(Path dir, int replicas) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(dir)));
        // the controller-manager's default client limit (20 QPS) would otherwise be what every benchmark measures
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("control-plane.sh").toString(), "start", dir.toString()), 900,
                RealCluster.CONTROLLER_QPS);
        if (replicas == 0) {
            return new BenchCluster(dir, RealCluster.sourceEnv(dir.resolve("env")), Map.of());
        }
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "start", dir.toString(),
                String.valueOf(replicas)), 300);
        return new BenchCluster(dir, RealCluster.sourceEnv(dir.resolve("env")),
                RealCluster.sourceEnv(dir.resolve("spinneret/env")));
    }

    /** A directory for a benchmark's control plane under target/ (several may run side by side). */
    public static Path dir(String name) {
        return RealCluster.ROOT.resolve("target/" + name);
    }

    public void stop() {
        stopQuietly(dir);
    }

    static void stopQuietly(Path dir) {
        try {
            if (Files.exists(dir.resolve("spinneret"))) {
                RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "stop-service",
                        dir.toString()), 60);
            }
            RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("control-plane.sh").toString(), "stop", dir.toString()), 60);
        } catch (RuntimeException e) {
            System.err.println(e.getMessage());
        }
    }

    public KubernetesClient client(int maxConcurrent) {
        Config c = Config.fromKubeconfig(RealCluster.read(Path.of(env.get("KUBECONFIG"))));
        c.setMaxConcurrentRequests(maxConcurrent);
        c.setMaxConcurrentRequestsPerHost(maxConcurrent);
        c.setRequestTimeout(30_000);
        return new KubernetesClientBuilder().withConfig(c).build();
    }

    /** A value from the control plane's env file (KUBECONFIG, KUBECTL, API_PORT, …). */
    public String env(String key) {
        return env.get(key);
    }

    public RealCluster.Result kubectl(String stdin, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(env.get("KUBECTL")));
        cmd.addAll(List.of(args));
        return RealCluster.exec(cmd, stdin, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 300);
    }

    /** A pool of exactly n addresses in a fresh /16. */
    public void preparePool(String name, int n) {
        String base = "10." + nextCidr++ + ".0.";
        IpAddress last = IpAddress.parse(base + "1").plus(n - 1);
        kubectl(Yaml.pool(name, base + "0/16", base + "1-" + last), "apply", "-f", "-").ok();
    }

    public void namespace(String ns, String pool) {
        namespace(ns, pool, false);
    }

    /** A namespace whose default pool (IPv4 or IPv6 annotation) is {@code pool}. */
    public void namespace(String ns, String pool, boolean ipv6) {
        String yaml = Yaml.namespace(ns, pool);
        kubectl(ipv6 ? yaml.replace("default-ipv4-ippool", "default-ipv6-ippool") : yaml, "apply", "-f", "-").ok();
        for (int i = 0; i < 120 && kubectl(null, "get", "sa", "default", "-n", ns).code() != 0; i++) {
            sleep(500);
        }
    }

    /** Length in bytes of the API server's JSON answer for a raw path. */
    public long rawLength(String path) {
        return kubectl(null, "get", "--raw", path).ok().out().trim().getBytes().length;
    }

    public void deleteNamespace(String ns) {
        kubectl(null, "delete", "namespace", ns, "--wait=false").ok();
    }

    /** Registers or removes Spinneret's mutating webhooks (the pod webhook among them). */
    public void podWebhook(boolean on) {
        Path yaml = DIR.resolve("spinneret/webhooks.yaml");
        if (on) {
            kubectl(null, "apply", "-f", yaml.toString()).ok();
        } else {
            kubectl(null, "delete", "mutatingwebhookconfiguration", "-l", "app.kubernetes.io/name=spinneret",
                    "--ignore-not-found").ok();
        }
        sleep(3000); // the API server picks up webhook configuration changes within about a second
    }

    public void resetAdmissionMetrics() {
        snapshot = buckets("mutate-pod");
    }

    /** p50 and p99 in ms of successful pod admissions since the last reset. */
    public double[] admissionQuantiles(String webhook) {
        Map<Double, Double> now = buckets(webhook);
        TreeMap<Double, Double> delta = new TreeMap<>();
        now.forEach((le, v) -> delta.put(le, v - snapshot.getOrDefault(le, 0.0)));
        return PodAdmissionBenchAccess.quantiles(delta);
    }

    private Map<Double, Double> buckets(String webhook) {
        Map<Double, Double> sum = new HashMap<>();
        Pattern p = Pattern.compile("^spinneret_admission_duration_seconds_bucket\\{([^}]*)\\} ([0-9.eE+-]+)$");
        for (String port : svc.get("SPINNERET_HTTP_PORTS").split(" ")) {
            String body = http("http://127.0.0.1:" + port + "/q/metrics");
            for (String line : body.split("\n")) {
                Matcher m = p.matcher(line.trim());
                if (!m.matches() || !m.group(1).contains("webhook=\"" + webhook + "\"")
                        || !m.group(1).contains("outcome=\"allowed\"")) {
                    continue;
                }
                Matcher le = Pattern.compile("le=\"([^\"]+)\"").matcher(m.group(1));
                if (le.find()) {
                    double bound = le.group(1).equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le.group(1));
                    sum.merge(bound, Double.parseDouble(m.group(2)), Double::sum);
                }
            }
        }
        return sum;
    }

    /**
     * Cumulative counters at one instant: CPU seconds (user + system, /proc/&lt;pid&gt;/stat) of the Spinneret JVMs,
     * kube-apiserver and etcd; bytes etcd appended to its write-ahead log; informer events the Spinneret replicas
     * received. Two samples taken around a piece of work give its cost. The service's CPU is also split by the kind
     * of thread that spent it ({@link ThreadKind}): JIT compilation is warm-up that a long-running process amortises,
     * the application threads are the cost that stays.
     */
    public record Sample(double serviceCpu, double apiserverCpu, double etcdCpu, double etcdWalBytes,
            double watchEvents, double ledgerWrites, long nanos, double serviceJitCpu, double serviceGcCpu) {
        public Sample minus(Sample before) {
            return new Sample(serviceCpu - before.serviceCpu, apiserverCpu - before.apiserverCpu,
                    etcdCpu - before.etcdCpu, etcdWalBytes - before.etcdWalBytes, watchEvents - before.watchEvents,
                    ledgerWrites - before.ledgerWrites, nanos - before.nanos, serviceJitCpu - before.serviceJitCpu,
                    serviceGcCpu - before.serviceGcCpu);
        }

        /** The service's CPU outside JIT compilation and GC/VM threads: request handling, watches, writers. */
        public double serviceAppCpu() {
            return serviceCpu - serviceJitCpu - serviceGcCpu;
        }
    }

    public Sample sample() {
        double service = 0;
        double jit = 0;
        double gc = 0;
        for (String pid : servicePids()) {
            service += cpuSeconds(pid);
            Map<ThreadKind, Double> byKind = ThreadKind.cpuSeconds(pid);
            jit += byKind.getOrDefault(ThreadKind.JIT, 0.0);
            gc += byKind.getOrDefault(ThreadKind.GC_VM, 0.0);
        }
        double wal = metric(http(env.get("ETCD_URL") + "/metrics"), "etcd_disk_wal_write_bytes_total", null);
        double events = 0;
        double writes = 0;
        for (String body : serviceMetrics()) {
            events += metric(body, "spinneret_watch_events_total", null);
            writes += metric(body, "spinneret_ledger_writes_total", null);
        }
        return new Sample(service, cpuSeconds(env.get("APISERVER_PID")), cpuSeconds(env.get("ETCD_PID")), wal,
                events, writes, System.nanoTime(), jit, gc);
    }

    /** The Spinneret JVMs (the round-robin proxy in front of several replicas is not the service). */
    public List<String> servicePids() {
        List<String> out = new java.util.ArrayList<>();
        for (String pid : svc.getOrDefault("SPINNERET_PIDS", "").trim().split(" ")) {
            if (pid.isEmpty()) {
                continue; // a control plane without Spinneret
            }
            try {
                if (Files.readString(Path.of("/proc/" + pid + "/comm")).trim().equals("java")) {
                    out.add(pid);
                }
            } catch (java.io.IOException e) {
                // gone
            }
        }
        return out;
    }

    /** Bytes in etcd's write-ahead log directory (member/wal; etcd pre-allocates its segments, 64 MB each). */
    public long etcdWalDirBytes() {
        try (var files = Files.list(dir.resolve("etcd-data/member/wal"))) {
            return files.mapToLong(f -> f.toFile().length()).sum();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot list etcd's WAL in " + dir + ": " + e.getMessage(), e);
        }
    }

    public static double cpuSeconds(String pid) {
        try {
            String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
            return (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot read /proc/" + pid + "/stat: " + e.getMessage(), e);
        }
    }

    /** Sum of a Prometheus metric's samples (optionally only those whose labels contain {@code labelPart}). */
    public static double metric(String body, String name, String labelPart) {
        double sum = 0;
        for (String line : body.split("\n")) {
            if (!line.startsWith(name) || line.length() == name.length()
                    || (line.charAt(name.length()) != ' ' && line.charAt(name.length()) != '{')) {
                continue;
            }
            if (labelPart != null && !line.contains(labelPart)) {
                continue;
            }
            sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    /** The service replicas' metrics pages. */
    public List<String> serviceMetrics() {
        List<String> out = new java.util.ArrayList<>();
        for (String port : svc.get("SPINNERET_HTTP_PORTS").split(" ")) {
            out.add(http("http://127.0.0.1:" + port + "/q/metrics"));
        }
        return out;
    }

    /** The JVM options (-X...) each Spinneret replica was started with, from its command line. */
    public List<String> serviceJvmOptions() {
        List<String> out = new java.util.ArrayList<>();
        for (String pid : servicePids()) {
            try {
                StringBuilder opts = new StringBuilder();
                for (String arg : Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0")) {
                    if (arg.startsWith("-X")) {
                        opts.append(opts.isEmpty() ? "" : " ").append(arg);
                    }
                }
                out.add(opts.toString());
            } catch (java.io.IOException e) {
                out.add("?");
            }
        }
        return out;
    }

    /** CPU seconds (user + system) each Spinneret replica has used since it started. */
    public List<Double> serviceCpuSeconds() {
        return servicePids().stream().map(BenchCluster::cpuSeconds).toList();
    }

    /** Current RSS and peak RSS (MiB) of each Spinneret JVM. */
    public List<long[]> serviceRss() {
        List<long[]> out = new java.util.ArrayList<>();
        for (String pid : servicePids()) {
            try {
                String status = Files.readString(Path.of("/proc/" + pid + "/status"));
                Matcher now = Pattern.compile("VmRSS:\\s+(\\d+) kB").matcher(status);
                Matcher peak = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(status);
                out.add(new long[] { now.find() ? Long.parseLong(now.group(1)) / 1024 : -1,
                        peak.find() ? Long.parseLong(peak.group(1)) / 1024 : -1 });
            } catch (java.io.IOException e) {
                out.add(new long[] { -1, -1 });
            }
        }
        return out;
    }

    /** Waits until a pool's ledger is empty (every reservation released) and the namespace is gone. */
    public void awaitReleased(String pool, String ns, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String count = kubectl(null, "get", "spiderippool", pool, "-o",
                    "jsonpath={.status.allocatedIPCount}").out().trim();
            boolean nsGone = kubectl(null, "get", "namespace", ns, "--ignore-not-found", "-o", "name").out().isBlank();
            if ((count.isEmpty() || count.equals("0")) && nsGone) {
                return;
            }
            sleep(250);
        }
        throw new IllegalStateException("pool " + pool + " still holds reservations (or namespace " + ns
                + " still exists) after " + timeoutMs + " ms");
    }

    /** Waits until a pool's ledger is empty. */
    public void awaitPoolEmpty(String pool, long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            String count = kubectl(null, "get", "spiderippool", pool, "-o",
                    "jsonpath={.status.allocatedIPCount}").out().trim();
            if (count.isEmpty() || count.equals("0")) {
                return;
            }
            sleep(250);
        }
        throw new IllegalStateException("pool " + pool + " still holds reservations after " + timeoutMs + " ms");
    }

    /** 1-minute load average of the machine (other engineers' builds share it). */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (java.io.IOException e) {
            return "?";
        }
    }

    /** Peak RSS and CPU seconds of the service processes, from /proc. */
    public String serviceUsage() {
        StringBuilder sb = new StringBuilder();
        for (String pid : svc.get("SPINNERET_PIDS").trim().split(" ")) {
            try {
                String status = Files.readString(Path.of("/proc/" + pid + "/status"));
                Matcher m = Pattern.compile("VmHWM:\\s+(\\d+) kB").matcher(status);
                String[] stat = Files.readString(Path.of("/proc/" + pid + "/stat")).split("\\) ")[1].split(" ");
                double cpu = (Long.parseLong(stat[11]) + Long.parseLong(stat[12])) / 100.0;
                sb.append("pid ").append(pid).append(": peak RSS ")
                        .append(m.find() ? Long.parseLong(m.group(1)) / 1024 + " MiB" : "?")
                        .append(", CPU ").append(cpu).append(" s; ");
            } catch (Exception e) {
                sb.append("pid ").append(pid).append(": unavailable; ");
            }
        }
        return sb.toString();
    }

    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(java.time.Duration.ofSeconds(10)).build();

    static String http(String url) {
        try {
            // HTTP/1.1 and a deadline: a default client's h2c upgrade attempt once hung a benchmark for 20 minutes
            return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException("GET " + url + ": " + e.getMessage(), e);
        }
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
