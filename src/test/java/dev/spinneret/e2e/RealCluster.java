package dev.spinneret.e2e;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real control plane (etcd + kube-apiserver + kube-controller-manager) and two Spinneret instances behind one
 * webhook URL, shared by every *IT class, started by the scripts in integration-tests/scripts and stopped by a
 * shutdown hook — also when a test fails or the run is interrupted. Needs the Go-built binaries (CI builds them;
 * locally: integration-tests/scripts/build-binaries.sh, or SPINNERET_K8S_BIN_DIR).
 */
public final class RealCluster implements Kubectl {
    static final Path ROOT = Path.of("").toAbsolutePath();
    static final Path SCRIPTS = ROOT.resolve("integration-tests/scripts");
    static final Path DIR = ROOT.resolve("target/e2e-control-plane");
    /**
     * The controller-manager's client limit the tests and the benchmarks run with: its default (20 QPS) paces
     * workload controllers so slowly that their pods never reach the webhook at the same time.
     */
    static final Map<String, String> CONTROLLER_QPS = Map.of("SPINNERET_KCM_EXTRA_ARGS",
            "--kube-api-qps=200 --kube-api-burst=300");
    private static RealCluster instance;

    final Map<String, String> env;
    final KubernetesClient client;

    private RealCluster(Map<String, String> env) {
        this.env = env;
        this.client = new KubernetesClientBuilder()
                .withConfig(Config.fromKubeconfig(read(Path.of(env.get("KUBECONFIG"))))).build();
    }

    public static synchronized RealCluster get() {
        if (instance == null) {
            Runtime.getRuntime().addShutdownHook(new Thread(RealCluster::stopAll, "real-cluster-stop"));
            run(List.of(SCRIPTS.resolve("control-plane.sh").toString(), "start", DIR.toString()), 900, CONTROLLER_QPS);
            Map<String, String> env = sourceEnv(DIR.resolve("env"));
            run(List.of(SCRIPTS.resolve("spinneret-local.sh").toString(), "start", DIR.toString(), "2"), 300,
                    Map.of("SPINNERET_GC_ORPHAN_TTL", "10s", "SPINNERET_GC_INTERVAL", "5s"));
            instance = new RealCluster(env);
        }
        return instance;
    }

    static void stopAll() {
        try {
            run(List.of(SCRIPTS.resolve("spinneret-local.sh").toString(), "stop-service", DIR.toString()), 60);
        } catch (RuntimeException e) {
            System.err.println("stopping Spinneret: " + e.getMessage());
        }
        run(List.of(SCRIPTS.resolve("control-plane.sh").toString(), "stop", DIR.toString()), 60);
    }

    /** The service's current ports and pids (re-read: a test may restart the service on other ports). */
    public Map<String, String> service() {
        return sourceEnv(DIR.resolve("spinneret/env"));
    }

    public KubernetesClient client() {
        return client;
    }

    private KubernetesClient admissionClient;

    /**
     * A client for requests whose admission answer is what a test checks: it never repeats a request (fabric8's
     * {@link #client()} repeats one answered with a 5xx, so a 503 refusal followed by a success would look like a
     * plain success), allows 64 requests in flight and waits up to 60 s for each.
     */
    public synchronized KubernetesClient admissionClient() {
        if (admissionClient == null) {
            admissionClient = new KubernetesClientBuilder().withConfig(new io.fabric8.kubernetes.client.ConfigBuilder(
                    client.getConfiguration()).withMaxConcurrentRequests(64).withMaxConcurrentRequestsPerHost(64)
                    .withRequestTimeout(60_000).withRequestRetryBackoffLimit(0).build()).build();
        }
        return admissionClient;
    }

    /** Runs kubectl against the cluster; returns exit code, stdout and stderr. */
    @Override
    public Result kubectl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(env.get("KUBECTL"));
        cmd.addAll(List.of(args));
        return exec(cmd, null, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 120);
    }

    @Override
    public Result kubectlApply(String yaml, String... extra) {
        List<String> cmd = new ArrayList<>(List.of(env.get("KUBECTL"), "apply", "-f", "-"));
        cmd.addAll(List.of(extra));
        return exec(cmd, yaml, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 120);
    }

    public Result helm(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(env.get("BIN_DIR")).resolve("helm").toString());
        cmd.addAll(List.of(args));
        return exec(cmd, null, Map.of("KUBECONFIG", env.get("KUBECONFIG")), 300);
    }

    public record Result(int code, String out, String err) {
        public Result ok() {
            if (code != 0) {
                throw new AssertionError("exit " + code + "\nstdout: " + out + "\nstderr: " + err);
            }
            return this;
        }
    }

    static Result exec(List<String> cmd, String stdin, Map<String, String> extraEnv, long timeoutSeconds) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.environment().putAll(extraEnv);
            Path out = Files.createTempFile("e2e", ".out");
            Path err = Files.createTempFile("e2e", ".err");
            pb.redirectOutput(out.toFile()).redirectError(err.toFile());
            Process p = pb.start();
            if (stdin != null) {
                p.getOutputStream().write(stdin.getBytes());
            }
            p.getOutputStream().close();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException(String.join(" ", cmd) + " did not finish in " + timeoutSeconds + " s");
            }
            Result r = new Result(p.exitValue(), Files.readString(out), Files.readString(err));
            Files.delete(out);
            Files.delete(err);
            return r;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static void run(List<String> cmd, long timeoutSeconds) {
        run(cmd, timeoutSeconds, Map.of());
    }

    static void run(List<String> cmd, long timeoutSeconds, Map<String, String> env) {
        Result r = exec(cmd, null, env, timeoutSeconds);
        System.err.print(r.err());
        if (r.code() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (exit " + r.code() + "):\n" + r.err());
        }
    }

    static Map<String, String> sourceEnv(Path file) {
        Map<String, String> env = new HashMap<>();
        for (String line : read(file).split("\n")) {
            String l = line.strip();
            if (l.startsWith("export ")) {
                l = l.substring(7);
            }
            int eq = l.indexOf('=');
            if (eq <= 0 || l.startsWith("#")) {
                continue;
            }
            String v = l.substring(eq + 1);
            if (v.length() >= 2 && (v.startsWith("\"") && v.endsWith("\"") || v.startsWith("'") && v.endsWith("'"))) {
                v = v.substring(1, v.length() - 1);
            }
            env.put(l.substring(0, eq), v);
        }
        return env;
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + p + ": " + e.getMessage(), e);
        }
    }
}
