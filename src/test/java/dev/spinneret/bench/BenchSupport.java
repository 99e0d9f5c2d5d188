package dev.spinneret.bench;

import dev.spinneret.e2e.GoPlugin;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the benchmarks that fork CNI plugins share: the plugin call, /proc readings, the binaries, the machine. */
final class BenchSupport {
    /** Plugin and daemon processes still running (destroyed on Ctrl-C: no orphans). */
    static final Set<Process> LIVE = ConcurrentHashMap.newKeySet();

    private BenchSupport() {
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

    static void runOk(List<String> cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        }
    }

    static int freePort() throws IOException {
        try (var s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Nearest-rank percentile of nanosecond samples. */
    static long pct(long[] v, double q) {
        long[] s = v.clone();
        Arrays.sort(s);
        int idx = (int) Math.ceil(q / 100.0 * s.length) - 1;
        return s[Math.max(0, Math.min(s.length - 1, idx))];
    }

    static Path requiredPath(String var, String what) {
        String v = System.getenv(var);
        if (v == null || v.isBlank() || !Files.exists(Path.of(v))) {
            throw new IllegalArgumentException(var + " must name " + what + " (bench/run.sh FairBench sets it), got "
                    + (v == null ? "nothing" : "\"" + v + "\""));
        }
        return Path.of(v).toAbsolutePath();
    }

    /** A Spiderpool build (integration-tests/scripts/build-spiderpool.sh): its binaries, crds/ and VERSION; needs root (netns). */
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
                    + "`ip netns add`");
        }
        return d;
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
