package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Runs the real macvlan plugin (containernetworking-plugins) with {@code ipam.type=spinneret} in network namespaces
 * this test creates: a "host" netns holding a veth pair (the macvlan parent) and a "pod" netns. The macvlan plugin
 * runs inside the host netns ({@code ip netns exec}), so nothing on the real host is touched; the fake API server is
 * carried into the host netns by unix-socket relays (see {@link NetnsRelay}). Needs root; fails (does not skip)
 * without it unless {@code -Dspinneret.skipNetns=true}.
 */
@Tag("netns")
class MacvlanNetnsIT {
    static final String MACVLAN = "/usr/lib/cni/macvlan";
    static final int API_PORT = 16443;

    static String suffix;
    static String hostNs;
    static String podNs;
    static FakeApiServer api;
    static ServerSocketChannel unixRelay;
    static Process netnsRelay;
    static Path dir;
    static Path pluginDir;
    static Thread hook;
    static int counter;

    @BeforeAll
    static void setUp() throws Exception {
        if (Boolean.getBoolean("spinneret.skipNetns")) {
            Assumptions.abort("netns tests skipped by -Dspinneret.skipNetns=true");
        }
        String uid = run(List.of("id", "-u"), null, null).out.trim();
        if (!uid.equals("0")) {
            fail("MacvlanNetnsIT needs root (it creates network namespaces and links); running as uid " + uid
                    + ". Run as root, or pass -Dspinneret.skipNetns=true to skip explicitly.");
        }
        if (!new File(MACVLAN).canExecute()) {
            fail(MACVLAN + " not found: apt-get install -y containernetworking-plugins");
        }
        suffix = Long.toHexString(new SecureRandom().nextLong() & 0xffffffffL);
        hostNs = "spn-test-h" + suffix;
        podNs = "spn-test-" + suffix;
        hook = new Thread(MacvlanNetnsIT::cleanUp, "netns-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);

        dir = Files.createTempDirectory("spn-netns");
        api = new FakeApiServer();
        api.writeKubeconfig(dir);
        // the kubeconfig the plugin sees points at the relay inside the host netns
        Path kc = FakeApiServer.writeKubeconfig(dir, "https://127.0.0.1:" + API_PORT);
        assertEquals(dir.resolve("spinneret.kubeconfig"), kc);

        sh("ip", "netns", "add", hostNs);
        sh("ip", "netns", "add", podNs);
        sh("ip", "-n", hostNs, "link", "set", "lo", "up");
        sh("ip", "-n", podNs, "link", "set", "lo", "up");
        sh("ip", "-n", hostNs, "link", "add", "spnpar0", "type", "veth", "peer", "name", "spnpar1");
        sh("ip", "-n", hostNs, "link", "set", "spnpar0", "up");
        sh("ip", "-n", hostNs, "link", "set", "spnpar1", "up");

        Path sock = dir.resolve("api.sock");
        unixRelay = NetnsRelay.unixToTcp(sock, api.port());
        String testClasses = Path.of(NetnsRelay.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        netnsRelay = new ProcessBuilder("ip", "netns", "exec", hostNs, javaBin(), "-XX:+UseSerialGC", "-cp", testClasses,
                NetnsRelay.class.getName(), "tcp", Integer.toString(API_PORT), sock.toString())
                .redirectErrorStream(true).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(netnsRelay.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertEquals("ready", line, "relay in netns did not start");

        pluginDir = pluginDir();
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** CNI bin dir holding "spinneret": the packaged dist if -Dspinneret.cni.dist is given, else a wrapper over target/classes. */
    static Path pluginDir() throws Exception {
        String dist = System.getProperty("spinneret.cni.dist");
        if (dist != null && !dist.isEmpty()) {
            assertTrue(new File(dist, "spinneret").canExecute(), dist + "/spinneret missing");
            return Path.of(dist).toAbsolutePath();
        }
        String classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Path d = dir.resolve("bin");
        Files.createDirectories(d);
        Path launcher = d.resolve("spinneret");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + javaBin() + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData "
                + "-Xshare:auto -cp '" + classes + "' dev.spinneret.cni.Main\n");
        launcher.toFile().setExecutable(true);
        return d;
    }

    @AfterAll
    static void tearDown() {
        cleanUp();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException ignored) {
                // shutting down already
            }
        }
    }

    static synchronized void cleanUp() {
        if (netnsRelay != null) {
            netnsRelay.destroyForcibly();
            netnsRelay = null;
        }
        if (unixRelay != null) {
            try {
                unixRelay.close();
            } catch (IOException ignored) {
                // nothing
            }
            unixRelay = null;
        }
        for (String ns : new String[]{podNs, hostNs}) {
            if (ns == null) continue;
            try {
                run(List.of("ip", "netns", "del", ns), null, null); // deleting a netns deletes the links in it
            } catch (Exception ignored) {
                // best effort
            }
        }
        podNs = null;
        hostNs = null;
        if (api != null) {
            api.close();
            api = null;
        }
        if (dir != null) {
            PluginTest.deleteTree(dir);
            dir = null;
        }
    }

    @BeforeEach
    void resetApi() {
        api.pods.clear();
        api.endpoints.clear();
        api.pools.clear();
        api.addPool("nginx-v4-ippool", Fixtures.V4_LEDGER);
        api.addPool("p6", "fd00::5=k2x9a0b1");
    }

    @AfterEach
    void noLeftovers() throws Exception {
        // whatever a test did, remove eth0 so the next test starts clean
        run(List.of("ip", "-n", podNs, "link", "del", "eth0"), null, null);
    }

    // ------------------------------------------------------------------ helpers

    record Out(int rc, String out, String err) {
    }

    static Out run(List<String> cmd, Map<String, String> env, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (env != null) pb.environment().putAll(env);
        Process p = pb.start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("timed out: " + cmd);
        }
        return new Out(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    static String sh(String... cmd) throws Exception {
        Out o = run(List.of(cmd), null, null);
        if (o.rc != 0) fail(String.join(" ", cmd) + " failed: " + o.err + o.out);
        return o.out;
    }

    static String conf(String version, Path kubeconfig) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"spn-test\",\"type\":\"macvlan\",\"master\":\"spnpar0\",\"mode\":\"bridge\","
                + "\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":\"" + kubeconfig + "\",\"log_file_path\":\"" + dir.resolve("cni.log")
                + "\",\"log_level\":\"debug\",\"timeout_seconds\":8}}";
    }

    /** Runs the macvlan plugin inside the host netns, targeting the pod netns. */
    static Out macvlan(String cmd, String pod, String uid, String conf) throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("CNI_COMMAND", cmd);
        env.put("CNI_CONTAINERID", "ctr-" + suffix);
        env.put("CNI_NETNS", "/var/run/netns/" + podNs);
        env.put("CNI_IFNAME", "eth0");
        env.put("CNI_PATH", pluginDir + ":/usr/lib/cni");
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + pod + (uid == null ? "" : ";K8S_POD_UID=" + uid));
        return run(List.of("ip", "netns", "exec", hostNs, MACVLAN), env, conf);
    }

    static boolean podHasEth0() throws Exception {
        return run(List.of("ip", "-n", podNs, "link", "show", "eth0"), null, null).rc == 0;
    }

    static void assertNoInterfaceLeft() throws Exception {
        assertFalse(podHasEth0(), "eth0 left behind in " + podNs);
        String hostLinks = sh("ip", "-n", hostNs, "-o", "link", "show");
        List<String> names = new ArrayList<>();
        for (String l : hostLinks.split("\n")) if (!l.isBlank()) names.add(l.split(":")[1].trim().split("@")[0]);
        assertEquals(List.of("lo", "spnpar1", "spnpar0"), names.stream().sorted((a, b) -> a.equals("lo") ? -1 : b.equals("lo") ? 1 : b.compareTo(a)).toList(),
                "unexpected links in the host netns: " + hostLinks);
    }

    // ------------------------------------------------------------------ tests

    @Test
    void addConfiguresExactlyTheReservedAddressAndRoutesThenDelRemovesIt() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.V4_ONLY);
        Out add = macvlan("ADD", "web-0", "uid-1", conf("1.0.0", dir.resolve("spinneret.kubeconfig")));
        assertEquals(0, add.rc, "ADD failed: " + add.out + add.err + "\nlog:\n" + log());
        Map<String, Object> result = Json.parseObject(add.out);
        assertEquals("10.244.100.90/16", Json.str(Json.list(result, "ips").get(0), "address"));
        assertEquals("eth0", Json.str(Json.list(result, "interfaces").get(0), "name"));

        String addrs = sh("ip", "-n", podNs, "-4", "-o", "addr", "show", "dev", "eth0");
        List<String> inet = new ArrayList<>();
        for (String l : addrs.split("\n")) if (l.contains(" inet ")) inet.add(l.replaceAll(".* inet (\\S+) .*", "$1"));
        assertEquals(List.of("10.244.100.90/16"), inet, addrs);
        String routes = sh("ip", "-n", podNs, "-4", "route");
        assertTrue(routes.contains("default via 10.244.0.1 dev eth0"), routes);
        assertTrue(routes.contains("10.10.0.0/16 via 10.244.0.1 dev eth0"), routes);
        assertTrue(routes.contains("10.244.0.0/16 dev eth0"), routes);
        assertEquals(3, routes.strip().split("\n").length, routes);
        assertEquals("ctr-" + suffix, Json.str(api.endpoint("default", "web-0"), "status", "current", "containerID"));

        Out del = macvlan("DEL", "web-0", "uid-1", conf("1.0.0", dir.resolve("spinneret.kubeconfig")));
        assertEquals(0, del.rc, del.out + del.err);
        assertNoInterfaceLeft();
        assertEquals("", Json.str(api.endpoint("default", "web-0"), "status", "current", "containerID"));
        // DEL again (idempotent)
        assertEquals(0, macvlan("DEL", "web-0", "uid-1", conf("1.0.0", dir.resolve("spinneret.kubeconfig"))).rc);
    }

    @Test
    void dualStackWithLegacyCniVersion() throws Exception {
        run(List.of("ip", "netns", "exec", hostNs, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"), null, null);
        api.addPod("default", "web-1", "uid-2", Fixtures.DUAL_STACK);
        Out add = macvlan("ADD", "web-1", "uid-2", conf("0.4.0", dir.resolve("spinneret.kubeconfig")));
        assertEquals(0, add.rc, "ADD failed: " + add.out + add.err + "\nlog:\n" + log());
        assertTrue(sh("ip", "-n", podNs, "-4", "-o", "addr", "show", "dev", "eth0").contains("inet 10.244.100.90/16"));
        assertTrue(sh("ip", "-n", podNs, "-6", "-o", "addr", "show", "dev", "eth0").contains("inet6 fd00::5/64"));
        String r6 = sh("ip", "-n", podNs, "-6", "route");
        assertTrue(r6.contains("default via fd00::1 dev eth0"), r6);
        assertEquals(0, macvlan("DEL", "web-1", "uid-2", conf("0.4.0", dir.resolve("spinneret.kubeconfig"))).rc);
        assertNoInterfaceLeft();
    }

    /**
     * A failed ADD returns the CNI error. The macvlan plugin (containernetworking-plugins 1.1.x, also ipvlan) does not
     * delete the link it created when IPAM fails (its deferred clean-up checks a shadowed err); per the CNI spec the
     * runtime then calls DEL, which must succeed even though the reservation/pod/API server is the problem. So: ADD
     * fails with the right code, nothing is confirmed, and after the runtime's DEL nothing is left.
     */
    @Test
    void failuresLeaveNoInterfaceBehind() throws Exception {
        Path kc = dir.resolve("spinneret.kubeconfig");
        api.addPod("default", "bare", "uid-b", null);
        failedAddThenRuntimeDel("bare", null, kc, 101);
        assertTrue(api.endpoints.isEmpty());

        api.addPod("default", "web-0", "uid-new", Fixtures.V4_ONLY);
        failedAddThenRuntimeDel("web-0", "uid-old", kc, 102);
        assertTrue(api.endpoints.isEmpty());

        Path down = dir.resolve("down");
        Files.createDirectories(down);
        Path kcDown = FakeApiServer.writeKubeconfig(down, "https://127.0.0.1:" + (API_PORT + 1)); // nothing listens there in the netns
        failedAddThenRuntimeDel("web-0", "uid-new", kcDown, 11);

        api.pools.remove("nginx-v4-ippool");
        failedAddThenRuntimeDel("web-0", "uid-new", kc, 103);
        assertTrue(api.endpoints.isEmpty());
    }

    static void failedAddThenRuntimeDel(String pod, String uid, Path kc, long code) throws Exception {
        Out add = macvlan("ADD", pod, uid, conf("1.0.0", kc));
        assertNotEquals(0, add.rc, add.out);
        assertEquals(code, Json.parseObject(add.out).get("code"), add.out);
        if (podHasEth0()) {
            // no address was configured on the half-made link
            assertFalse(sh("ip", "-n", podNs, "-o", "addr", "show", "dev", "eth0").contains(" inet "), "address configured despite failed ADD");
        }
        Out del = macvlan("DEL", pod, uid, conf("1.0.0", kc));
        assertEquals(0, del.rc, "DEL after failed ADD must succeed: " + del.out + del.err);
        assertNoInterfaceLeft();
    }

    static String log() {
        try {
            return Files.readString(dir.resolve("cni.log"));
        } catch (IOException e) {
            return "(no log)";
        }
    }
}
