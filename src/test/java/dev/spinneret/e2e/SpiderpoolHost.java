package dev.spinneret.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Spiderpool's own binaries (v1.2.1, built from its public source by integration-tests/scripts/build-spiderpool.sh)
 * run on this host outside any pod, against a control plane named by a kubeconfig: its agent (IPAM over a unix
 * socket), optionally its controller (auto-pools from SpiderSubnets, GC; its webhooks are served but not registered
 * with the API server), and its {@code spiderpool} IPAM plugin's ADD in an empty network namespace (the plugin
 * insists on opening CNI_NETNS, so this needs root). Used by SpiderpoolOwnBinariesAdoptionIT and the fair bench.
 */
public final class SpiderpoolHost implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path SCRIPT = Path.of("integration-tests/scripts/build-spiderpool.sh").toAbsolutePath();

    /** The build directory: spiderpool-agent, spiderpool-controller (maybe), spiderpool, crds/, VERSION. */
    public final Path dir;
    final Path kubeconfig;
    /** Sockets, configuration and the daemons' logs. */
    public final Path work;
    public final String netns;
    final List<Process> processes = new ArrayList<>();
    Process agent;
    Process controller;

    public SpiderpoolHost(Path dir, Path kubeconfig, Path work) throws IOException, InterruptedException {
        this.dir = dir;
        this.kubeconfig = kubeconfig;
        this.work = work;
        Files.createDirectories(work);
        this.netns = "spn-sp-" + ProcessHandle.current().pid() + "-" + Integer.toHexString(work.hashCode() & 0xffff);
        run(List.of("ip", "netns", "add", netns));
    }

    /**
     * The build of integration-tests/scripts/build-spiderpool.sh (built or reused), or why there is none: the script
     * exits 3 when there is no source snapshot or no Go (as in CI without the snapshot).
     */
    public static Build build() throws IOException, InterruptedException {
        Process p = new ProcessBuilder(SCRIPT.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(1800, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(SCRIPT + " did not finish in 30 min");
        }
        if (p.exitValue() == 3) {
            return new Build(null, SCRIPT.getFileName() + " exited 3: no Spiderpool source snapshot or no Go here");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException(SCRIPT + " failed (exit " + p.exitValue() + ")");
        }
        String[] lines = out.split("\n");
        return new Build(Path.of(lines[lines.length - 1].strip()), null);
    }

    /** A build directory, or the reason there is none. */
    public record Build(Path dir, String unavailable) {
    }

    /** Whether this JVM runs as root (the plugin's ADD opens CNI_NETNS: `ip netns add`). */
    public static boolean root() {
        try {
            return Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Spiderpool's CRD files of this build (spiderpool.spidernet.io only; not SR-IOV's or Multus'). */
    public List<Path> crds() throws IOException {
        try (var files = Files.list(dir.resolve("crds"))) {
            return files.filter(f -> f.getFileName().toString().startsWith("spiderpool.spidernet.io_")).sorted()
                    .toList();
        }
    }

    Path socket() {
        return work.resolve("agent.sock");
    }

    /**
     * Starts the agent outside a pod (kubeconfig and node name from the environment) and waits for its socket.
     * {@code subnets}: SpiderSubnet auto-pools on (they need the controller).
     */
    public void startAgent(String nodeName, boolean subnets, String logLevel) throws Exception {
        Path conf = work.resolve("agent-conf.yml");
        Files.writeString(conf, "ipamUnixSocketPath: " + socket() + "\nenableIPConflictDetection: false\n"
                + "enableGatewayDetection: false\n" + sharedConf(subnets));
        Files.deleteIfExists(socket());
        Map<String, String> env = daemonEnv("spiderpool-agent-" + nodeName, logLevel);
        env.put("SPIDERPOOL_NODE_NAME", nodeName);
        // what the chart sets; without it every pool is filtered out for eth0 ("cluster-network multus isn't set")
        env.put("MULTUS_CLUSTER_NETWORK", "kube-system/spn-sp-net");
        agent = start("spiderpool-agent", List.of("daemon", "--config-path", conf.toString()), env);
        for (int i = 0; i < 300 && !Files.exists(socket()); i++) {
            if (!agent.isAlive()) {
                throw new IllegalStateException("spiderpool-agent exited: " + log("spiderpool-agent"));
            }
            Thread.sleep(100);
        }
        if (!Files.exists(socket())) {
            throw new IllegalStateException("spiderpool-agent did not open " + socket() + " within 30 s");
        }
    }

    /** Whether this build has the controller. */
    public boolean hasController() {
        return Files.isExecutable(dir.resolve("spiderpool-controller"));
    }

    /**
     * Starts the controller outside a pod: a self-signed certificate for the webhook server it insists on serving
     * (and probes on localhost before it starts its informers), leader election on the Lease
     * kube-system/spiderpool-controller-leases; its IP garbage collection off. Returns at once: wait for what it
     * makes (an auto-pool) to know it works.
     */
    public void startController(boolean subnets, String logLevel) throws Exception {
        startController(subnets, logLevel, false);
    }

    /** {@link #startController(boolean, String)}, with its IP garbage collection on or off ({@code ipGc}). */
    public void startController(boolean subnets, String logLevel, boolean ipGc) throws Exception {
        Path tls = work.resolve("controller-tls");
        Files.createDirectories(tls);
        run(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                "/CN=localhost", "-keyout", tls.resolve("tls.key").toString(), "-out", tls.resolve("tls.crt").toString()));
        Path conf = work.resolve("controller-conf.yml");
        Files.writeString(conf, sharedConf(subnets));
        Map<String, String> env = daemonEnv("spiderpool-controller-" + ProcessHandle.current().pid(), logLevel);
        env.put("SPIDERPOOL_WEBHOOK_PORT", String.valueOf(freePort()));
        env.put("SPIDERPOOL_GC_IP_ENABLED", String.valueOf(ipGc));
        controller = start("spiderpool-controller", List.of("daemon", "--config-path", conf.toString(),
                "--tls-server-cert", tls.resolve("tls.crt").toString(), "--tls-server-key",
                tls.resolve("tls.key").toString()), env);
    }

    /** The part of Spiderpool's ConfigMap (spiderpool-conf) that agent and controller share. */
    private static String sharedConf(boolean subnets) {
        return """
                enableIPv4: true
                enableIPv6: false
                enableStatefulSet: true
                enableKubevirtStaticIP: false
                enableCleanOutdatedEndpoint: false
                enableSpiderSubnet: %s
                enableAutoPoolForApplication: %s
                clusterSubnetAutoPoolDefaultRedundantIPNumber: 1
                """.formatted(subnets, subnets);
    }

    private Map<String, String> daemonEnv(String podName, String logLevel) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KUBECONFIG", kubeconfig.toString());
        env.put("SPIDERPOOL_POD_NAMESPACE", "kube-system");
        env.put("SPIDERPOOL_POD_NAME", podName);
        env.put("SPIDERPOOL_LOG_LEVEL", logLevel);
        env.put("SPIDERPOOL_HEALTH_PORT", String.valueOf(freePort()));
        env.put("SPIDERPOOL_METRIC_HTTP_PORT", String.valueOf(freePort()));
        env.put("SPIDERPOOL_GOPS_LISTEN_PORT", String.valueOf(freePort()));
        return env;
    }

    private Process start(String bin, List<String> args, Map<String, String> env) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(dir.resolve(bin).toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().putAll(env);
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve(bin + ".log").toFile()));
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /** The daemon's log so far (for failure messages). */
    public String log(String bin) {
        try {
            String s = Files.readString(work.resolve(bin + ".log"));
            return s.length() > 4000 ? "..." + s.substring(s.length() - 4000) : s;
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    public Process agent() {
        return agent;
    }

    public Optional<Process> controller() {
        return Optional.ofNullable(controller);
    }

    /** Stops the agent (SIGTERM, then SIGKILL after 10 s): Spiderpool uninstalled. */
    public void stopAgent() throws InterruptedException {
        stop(agent);
        agent = null;
    }

    public void stopController() throws InterruptedException {
        stop(controller);
        controller = null;
    }

    private static void stop(Process p) throws InterruptedException {
        if (p == null) {
            return;
        }
        p.destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** The plugin's network configuration: its agent's socket, optional default pool, its log level. */
    public String pluginConf(String defaultPool, String logLevel) {
        return """
                {"cniVersion":"0.3.1","name":"spn-sp","type":"macvlan","master":"none",
                 "ipam":{"type":"spiderpool","ipam_unix_socket_path":"%s",%s
                  "log_file_path":"%s","log_level":"%s"}}
                """.formatted(socket(), defaultPool == null ? "" : "\"default_ipv4_ippool\":[\"" + defaultPool + "\"],",
                work.resolve("spiderpool-cni.log"), logLevel);
    }

    /**
     * Spiderpool's ADD for a pod, as a container runtime runs it (fork/exec, stdin = {@code conf}, CNI_NETNS = the
     * empty namespace). Returns the plugin's result; fails unless it exits 0 with addresses.
     */
    public JsonNode add(String conf, String containerId, String namespace, String pod, String podUid)
            throws Exception {
        String out = cni(dir.resolve("spiderpool"), "ADD", conf, containerId,
                "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + namespace + ";K8S_POD_NAME=" + pod + ";K8S_POD_UID=" + podUid,
                "/var/run/netns/" + netns, work);
        return JSON.readTree(out);
    }

    /** One CNI call as a runtime does it (CNI_PATH = {@code cniPath}); fails unless it exits 0 (ADD: with "ips"). */
    public static String cni(Path plugin, String command, String conf, String containerId, String cniArgs,
            String netnsPath, Path cniPath) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(plugin.toString());
        pb.environment().putAll(Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", containerId,
                "CNI_NETNS", netnsPath, "CNI_IFNAME", "eth0", "CNI_PATH", cniPath.toString(), "CNI_ARGS", cniArgs));
        pb.redirectError(ProcessBuilder.Redirect.appendTo(cniPath.resolve("plugins.stderr").toFile()));
        Process p = pb.start();
        try {
            try (OutputStream in = p.getOutputStream()) {
                in.write(conf.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                throw new IllegalStateException(containerId + ": " + command + " did not finish within 120 s");
            }
            if (p.exitValue() != 0 || command.equals("ADD") && !out.contains("\"ips\"")) {
                throw new IllegalStateException(containerId + ": " + command + " failed (exit " + p.exitValue() + "): "
                        + out);
            }
            return out;
        } finally {
            p.destroyForcibly();
        }
    }

    /** The first IPv4 address of an ADD result, without prefix. */
    public static String ipv4(JsonNode result) {
        for (JsonNode ip : result.path("ips")) {
            String a = ip.path("address").asText("");
            if (a.contains(".")) {
                return a.substring(0, a.indexOf('/'));
            }
        }
        throw new IllegalStateException("no IPv4 address in " + result);
    }

    /** Stops what runs and removes the network namespace. */
    @Override
    public void close() {
        for (Process p : processes) {
            try {
                stop(p);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            run(List.of("ip", "netns", "del", netns));
        } catch (Exception ignored) {
            // best effort: gone already
        }
    }

    static void run(List<String> cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
