package dev.spinneret.e2e;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.cni.Main;
import dev.spinneret.cni.NetnsRelay;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole path for real: a pod created through the real API server (Spinneret's webhook reserves its address),
 * then the real macvlan plugin with {@code ipam.type=spinneret} in network namespaces this test creates; the
 * interface must carry exactly the reserved address and routes. Also: ADD keeps working while the Spinneret
 * service is stopped (only the API server is needed). Needs root; traffic stays in the test's namespaces and
 * loopback (the API server is relayed into the "host" namespace over a unix socket).
 */
@Tag("netns")
class CniRealApiServerIT {
    static final int API_PORT_IN_NETNS = 16444;
    static RealCluster cluster;
    static String hostNs;
    static String podNs;
    static Path dir;
    static Path pluginDir;
    static ServerSocketChannel unixRelay;
    static Process netnsRelay;

    @BeforeAll
    static void setUp() throws Exception {
        if (!"0".equals(sh(List.of("id", "-u"), null, null).out().trim())) {
            fail("CniRealApiServerIT needs root (network namespaces); CI runs as root");
        }
        cluster = RealCluster.get();
        String s = Long.toHexString(new SecureRandom().nextLong() & 0xffffffL);
        hostNs = "spn-e2e-h" + s;
        podNs = "spn-e2e-p" + s;
        Runtime.getRuntime().addShutdownHook(new Thread(CniRealApiServerIT::cleanUp));
        dir = Files.createTempDirectory("spn-cni-e2e");
        ok(sh(List.of("ip", "netns", "add", hostNs), null, null));
        ok(sh(List.of("ip", "netns", "add", podNs), null, null));
        ok(sh(List.of("ip", "-n", hostNs, "link", "set", "lo", "up"), null, null));
        ok(sh(List.of("ip", "-n", hostNs, "link", "add", "spnpar0", "type", "veth", "peer", "name", "spnpar1"), null, null));
        ok(sh(List.of("ip", "-n", hostNs, "link", "set", "spnpar0", "up"), null, null));
        int apiPort = Integer.parseInt(cluster.env.get("API_PORT"));
        Path sock = dir.resolve("api.sock");
        unixRelay = NetnsRelay.unixToTcp(sock, apiPort);
        String testClasses = Path.of(NetnsRelay.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        netnsRelay = new ProcessBuilder("ip", "netns", "exec", hostNs, javaBin(), "-cp", testClasses,
                NetnsRelay.class.getName(), "tcp", Integer.toString(API_PORT_IN_NETNS), sock.toString())
                .redirectErrorStream(true).start();
        assertEquals("ready", new BufferedReader(new InputStreamReader(netnsRelay.getInputStream(),
                StandardCharsets.UTF_8)).readLine());
        // the admin kubeconfig, pointed at the relay inside the host netns (the API server cert covers 127.0.0.1)
        String kc = Files.readString(Path.of(cluster.env.get("KUBECONFIG")))
                .replace("https://127.0.0.1:" + apiPort, "https://127.0.0.1:" + API_PORT_IN_NETNS);
        Files.writeString(dir.resolve("kubeconfig"), kc);
        pluginDir = dir.resolve("bin");
        Files.createDirectories(pluginDir);
        String classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        Path launcher = pluginDir.resolve("spinneret");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + javaBin() + "' -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp '"
                + classes + "' dev.spinneret.cni.Main\n");
        assertTrue(launcher.toFile().setExecutable(true));

        cluster.kubectlApply("""
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderIPPool
                metadata:
                  name: cni-pool
                spec:
                  subnet: 10.80.0.0/16
                  gateway: 10.80.0.1
                  ips: ["10.80.0.10-10.80.0.20"]
                  routes: [{dst: 10.81.0.0/16, gw: 10.80.0.1}]
                """).ok();
        cluster.kubectl("create", "namespace", "cni").ok();
        await().atMost(Duration.ofSeconds(60)).until(() -> cluster.kubectl("get", "sa", "default", "-n", "cni").code() == 0);
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    Pod createPod(String name) {
        cluster.kubectl("run", name, "-n", "cni", "--image=nginx",
                "--annotations=ipam.spidernet.io/ippool={\"ipv4\":[\"cni-pool\"]}").ok();
        return cluster.client().pods().inNamespace("cni").withName(name).get();
    }

    RealCluster.Result cni(String command, Pod pod, String containerId) throws Exception {
        String conf = """
                {"cniVersion":"1.0.0","name":"macvlan-e2e","type":"macvlan","master":"spnpar0","mode":"bridge",
                 "ipam":{"type":"spinneret","kubeconfig":"%s","log_file_path":"%s"}}
                """.formatted(dir.resolve("kubeconfig"), dir.resolve("cni.log"));
        Map<String, String> env = Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", containerId,
                "CNI_NETNS", "/var/run/netns/" + podNs, "CNI_IFNAME", "eth0",
                "CNI_PATH", pluginDir + ":/usr/lib/cni",
                "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=cni;K8S_POD_NAME=" + pod.getMetadata().getName() + ";K8S_POD_UID="
                        + pod.getMetadata().getUid());
        return sh(List.of("ip", "netns", "exec", hostNs, "/usr/lib/cni/macvlan"), env, conf);
    }

    @Test
    void addConfiguresExactlyTheReservedAddressAndRoutesAndWorksWithTheServiceStopped() throws Exception {
        Pod pod = createPod("cni-a");
        Pod second = createPod("cni-b");
        String ip = Pods.ipv4(pod);
        var add = cni("ADD", pod, "ctr-a");
        assertEquals(0, add.code(), add.out() + add.err());
        assertTrue(add.out().contains(ip + "/16"), add.out());
        String addr = sh(List.of("ip", "-n", podNs, "-4", "addr", "show", "eth0"), null, null).out();
        assertTrue(addr.contains("inet " + ip + "/16"), addr);
        assertEquals(1, addr.lines().filter(l -> l.trim().startsWith("inet ")).count(), addr);
        String routes = sh(List.of("ip", "-n", podNs, "-4", "route"), null, null).out();
        assertTrue(routes.contains("default via 10.80.0.1"), routes);
        assertTrue(routes.contains("10.81.0.0/16 via 10.80.0.1"), routes);
        SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace("cni").withName("cni-a").get();
        assertEquals("ctr-a", se.getStatus().current.containerID, "the confirm is recorded on the SpiderEndpoint");
        assertEquals(pod.getMetadata().getUid(), se.getStatus().current.uid);
        var del = cni("DEL", pod, "ctr-a");
        assertEquals(0, del.code(), del.err());
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));

        // pod networking does not need the Spinneret service: stop it, ADD the second pod, start it again
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "stop-service",
                RealCluster.DIR.toString()), 60);
        try {
            var add2 = cni("ADD", second, "ctr-b");
            assertEquals(0, add2.code(), add2.out() + add2.err());
            assertTrue(sh(List.of("ip", "-n", podNs, "-4", "addr"), null, null).out()
                    .contains("inet " + Pods.ipv4(second) + "/16"));
            assertEquals(0, cni("DEL", second, "ctr-b").code());
        } finally {
            RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "start",
                    RealCluster.DIR.toString(), "2"), 300, Map.of("SPINNERET_GC_ORPHAN_TTL", "10s",
                            "SPINNERET_GC_INTERVAL", "5s"));
        }
    }

    @Test
    void addForAPodWithoutReservationOrWithAnotherUidFailsAndLeavesNothing() throws Exception {
        cluster.kubectl("run", "cni-none", "-n", "cni", "--image=nginx", "--labels=spinneret.dev/ignore=true",
                "--overrides={\"spec\":{\"hostNetwork\":true}}").ok();
        Pod none = cluster.client().pods().inNamespace("cni").withName("cni-none").get();
        var r = cni("ADD", none, "ctr-n");
        assertNotEquals(0, r.code());
        assertTrue(r.out().contains("\"code\":101") || r.out().contains("\"code\": 101"), r.out());
        cni("DEL", none, "ctr-n");
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));

        Pod pod = createPod("cni-uid");
        pod.getMetadata().setUid("00000000-0000-0000-0000-000000000000");
        var wrong = cni("ADD", pod, "ctr-u");
        assertNotEquals(0, wrong.code());
        assertTrue(wrong.out().contains("102"), wrong.out());
        cni("DEL", pod, "ctr-u");
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));
    }

    @AfterAll
    static void cleanUp() {
        if (netnsRelay != null) {
            netnsRelay.destroyForcibly();
            netnsRelay = null;
        }
        try {
            if (unixRelay != null) {
                unixRelay.close();
            }
        } catch (Exception ignored) {
            // best effort
        }
        unixRelay = null;
        for (String ns : new String[] { podNs, hostNs }) {
            if (ns != null) {
                try {
                    sh(List.of("ip", "netns", "del", ns), null, null);
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
        podNs = null;
        hostNs = null;
    }

    static RealCluster.Result sh(List<String> cmd, Map<String, String> env, String stdin) {
        return RealCluster.exec(cmd, stdin, env == null ? Map.of() : env, 60);
    }

    static void ok(RealCluster.Result r) {
        r.ok();
    }
}
