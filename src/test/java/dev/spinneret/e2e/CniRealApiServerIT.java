package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import io.fabric8.kubernetes.api.model.Pod;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The whole path for real: a pod created through the real API server (Spinneret's webhook reserves its address),
 * then the real macvlan plugin calling the Go IPAM plugin (target/cni/spinneret, {@link GoPlugin}) in network
 * namespaces this test creates; the interface must carry exactly the reserved address and routes. Also: CHECK and
 * DEL, ADD with the Spinneret service stopped (only the API server is needed), the {@code spiderpool} alias, a
 * second interface (Multus' {@code net1}) from its own reservation entry, dual stack with a legacy cniVersion,
 * and failed ADDs (11 without a reservation, 102) that leave no link and no SpiderEndpoint. Needs root; traffic stays in the test's
 * namespaces and loopback (the API server is relayed into the "host" namespace over a unix socket).
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
        pluginDir = GoPlugin.binDir(dir);
        for (String ns : new String[] { hostNs, podNs }) {
            ok(sh(List.of("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.accept_dad=0",
                    "net.ipv6.conf.default.accept_dad=0"), null, null));
        }

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
                ---
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderIPPool
                metadata:
                  name: cni-pool6
                spec:
                  subnet: fd80::/64
                  gateway: fd80::1
                  ips: ["fd80::10-fd80::20"]
                ---
                apiVersion: spiderpool.spidernet.io/v2beta1
                kind: SpiderIPPool
                metadata:
                  name: cni-pool-net1
                spec:
                  subnet: 10.82.0.0/16
                  ips: ["10.82.0.10-10.82.0.20"]
                """).ok();
        TestNamespace.create(cluster, "cni");
    }

    static String javaBin() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    Pod createPod(String name) {
        return createPod(name, "ipam.spidernet.io/ippool={\"ipv4\":[\"cni-pool\"]}");
    }

    Pod createPod(String name, String... annotations) {
        List<String> args = new java.util.ArrayList<>(List.of("run", name, "-n", "cni", "--image=nginx"));
        for (String a : annotations) {
            args.add("--annotations=" + a);
        }
        cluster.kubectl(args.toArray(String[]::new)).ok();
        return cluster.client().pods().inNamespace("cni").withName(name).get();
    }

    RealCluster.Result cni(String command, Pod pod, String containerId) throws Exception {
        return cni(command, pod, containerId, "1.0.0", "eth0", "spinneret", "");
    }

    /** The macvlan plugin in the host netns, targeting the pod netns; extra is appended to the network config. */
    RealCluster.Result cni(String command, Pod pod, String containerId, String cniVersion, String ifName, String ipamType,
            String extra) throws Exception {
        String conf = """
                {"cniVersion":"%s","name":"macvlan-e2e","type":"macvlan","master":"spnpar0","mode":"bridge",
                 "ipam":{"type":"%s","kubeconfig":"%s","log_file_path":"%s","timeout_seconds":10}%s}
                """.formatted(cniVersion, ipamType, dir.resolve("kubeconfig"), dir.resolve("cni.log"), extra);
        Map<String, String> env = Map.of("CNI_COMMAND", command, "CNI_CONTAINERID", containerId,
                "CNI_NETNS", "/var/run/netns/" + podNs, "CNI_IFNAME", ifName,
                "CNI_PATH", pluginDir + ":/usr/lib/cni",
                "CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=cni;K8S_POD_NAME=" + pod.getMetadata().getName() + ";K8S_POD_UID="
                        + pod.getMetadata().getUid());
        return sh(List.of("ip", "netns", "exec", hostNs, "/usr/lib/cni/macvlan"), env, conf);
    }

    SpiderEndpoint endpoint(String name) {
        return cluster.client().resources(SpiderEndpoint.class).inNamespace("cni").withName(name).get();
    }

    static String log() {
        try {
            return Files.readString(dir.resolve("cni.log"));
        } catch (Exception e) {
            return "(no log)";
        }
    }

    @Test
    void addConfiguresExactlyTheReservedAddressAndRoutesAndWorksWithTheServiceStopped() throws Exception {
        // the pod's own route (ipam.spidernet.io/routes) is installed beside its pool's
        Pod pod = createPod("cni-a", "ipam.spidernet.io/ippool={\"ipv4\":[\"cni-pool\"]}",
                "ipam.spidernet.io/routes=[{\"dst\":\"10.90.0.0/16\",\"gw\":\"10.80.0.254\"}]");
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
        assertTrue(routes.contains("10.90.0.0/16 via 10.80.0.254"), routes);
        SpiderEndpoint se = cluster.client().resources(SpiderEndpoint.class).inNamespace("cni").withName("cni-a").get();
        assertEquals("ctr-a", se.getStatus().current.containerID, "the confirm is recorded on the SpiderEndpoint");
        assertEquals(pod.getMetadata().getUid(), se.getStatus().current.uid);
        assertEquals(pod.getMetadata().getLabels().get("ipam.spidernet.io/reservation-id"), se.getStatus().current.reservationID);
        assertEquals("Pod", se.getMetadata().getOwnerReferences().get(0).getKind());
        // one server-side apply (no separate create and status patch): the only manager of the plugin's fields
        assertTrue(se.getMetadata().getManagedFields().stream().anyMatch(m -> "spinneret-cni".equals(m.getManager())
                && "Apply".equals(m.getOperation()) && m.getSubresource() == null), se.getMetadata().getManagedFields()::toString);
        String columns = cluster.kubectl("get", "se", "-n", "cni", "cni-a").ok().out();
        assertTrue(columns.contains("eth0") && columns.contains("cni-pool") && columns.contains(ip + "/16"), columns);
        // CHECK with the runtime's prevResult (macvlan checks the link, the IPAM plugin the reservation)
        var check = cni("CHECK", pod, "ctr-a", "1.0.0", "eth0", "spinneret", ",\"prevResult\":" + add.out().trim());
        assertEquals(0, check.code(), check.out() + check.err() + log());
        var del = cni("DEL", pod, "ctr-a");
        assertEquals(0, del.code(), del.err());
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));
        assertEquals("", endpoint("cni-a").getStatus().current.containerID, "DEL clears the container id, releases nothing");
        assertEquals(ip + "/16", endpoint("cni-a").getStatus().current.ips.get(0).ipv4);
        assertEquals(0, cni("DEL", pod, "ctr-a").code(), "DEL is idempotent");

        // pod networking does not need the Spinneret service: stop it, ADD the second pod, start it again
        RealCluster.run(List.of(RealCluster.SCRIPTS.resolve("spinneret-local.sh").toString(), "stop-service",
                RealCluster.DIR.toString()), 60);
        try {
            // ... through the Spiderpool-era type name
            var add2 = cni("ADD", second, "ctr-b", "1.0.0", "eth0", "spiderpool", "");
            assertEquals(0, add2.code(), add2.out() + add2.err());
            assertTrue(sh(List.of("ip", "-n", podNs, "-4", "addr"), null, null).out()
                    .contains("inet " + Pods.ipv4(second) + "/16"));
            assertEquals("ctr-b", endpoint("cni-b").getStatus().current.containerID);
            assertEquals(0, cni("DEL", second, "ctr-b", "1.0.0", "eth0", "spiderpool", "").code());
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
        // no reservation (yet): 11, try again later (the service reserves late for pods it serves; this one opted out)
        assertTrue(r.out().contains("\"code\":11,") || r.out().contains("\"code\": 11,"), r.out());
        assertEquals(0, cni("DEL", none, "ctr-n").code(), "DEL after a failed ADD succeeds");
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));
        assertEquals(null, endpoint("cni-none"));

        Pod pod = createPod("cni-uid");
        pod.getMetadata().setUid("00000000-0000-0000-0000-000000000000");
        var wrong = cni("ADD", pod, "ctr-u");
        assertNotEquals(0, wrong.code());
        assertTrue(wrong.out().contains("102"), wrong.out());
        assertEquals(0, cni("DEL", pod, "ctr-u").code());
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));
        assertEquals(null, endpoint("cni-uid"), "a failed ADD confirms nothing");
    }

    @Test
    void dualStackWithALegacyCniVersion() throws Exception {
        Pod pod = createPod("cni-dual", "ipam.spidernet.io/ippool={\"ipv4\":[\"cni-pool\"],\"ipv6\":[\"cni-pool6\"]}");
        var add = cni("ADD", pod, "ctr-d", "0.4.0", "eth0", "spinneret", "");
        assertEquals(0, add.code(), add.out() + add.err() + log());
        assertTrue(add.out().matches("(?s).*\"version\":\\s*\"4\".*") && add.out().matches("(?s).*\"version\":\\s*\"6\".*"),
                add.out());
        String v4 = Pods.ipv4(pod);
        assertTrue(sh(List.of("ip", "-n", podNs, "-4", "-o", "addr", "show", "dev", "eth0"), null, null).out()
                .contains("inet " + v4 + "/16"));
        String v6 = sh(List.of("ip", "-n", podNs, "-6", "-o", "addr", "show", "dev", "eth0"), null, null).out();
        assertTrue(v6.contains("inet6 fd80::"), v6);
        String r6 = sh(List.of("ip", "-n", podNs, "-6", "route"), null, null).out();
        assertTrue(r6.contains("default via fd80::1 dev eth0"), r6);
        assertEquals(0, cni("DEL", pod, "ctr-d", "0.4.0", "eth0", "spinneret", "").code());
        assertFalse(sh(List.of("ip", "-n", podNs, "link"), null, null).out().contains("eth0"));
    }

    @Test
    void aSecondInterfaceGetsItsOwnReservedAddress() throws Exception {
        Pod pod = createPod("cni-multi", "ipam.spidernet.io/ippools=[{\"interface\":\"eth0\",\"ipv4\":[\"cni-pool\"]},"
                + "{\"interface\":\"net1\",\"ipv4\":[\"cni-pool-net1\"]}]");
        String annotation = pod.getMetadata().getAnnotations().get("ipam.spidernet.io/reserved-ips");
        var eth0 = cni("ADD", pod, "ctr-m", "1.0.0", "eth0", "spinneret", "");
        assertEquals(0, eth0.code(), eth0.out() + eth0.err() + log());
        var net1 = cni("ADD", pod, "ctr-m", "1.0.0", "net1", "spinneret", "");
        assertEquals(0, net1.code(), net1.out() + net1.err() + log());
        String a = sh(List.of("ip", "-n", podNs, "-4", "-o", "addr"), null, null).out();
        assertTrue(a.matches("(?s).*eth0\\s+inet 10\\.80\\.0\\.\\d+/16.*"), a + annotation);
        assertTrue(a.matches("(?s).*net1\\s+inet 10\\.82\\.0\\.\\d+/16.*"), a + annotation);
        assertEquals(2, endpoint("cni-multi").getStatus().current.ips.size(), "the endpoint records every interface");
        assertEquals(0, cni("DEL", pod, "ctr-m", "1.0.0", "net1", "spinneret", "").code());
        assertEquals(0, cni("DEL", pod, "ctr-m", "1.0.0", "eth0", "spinneret", "").code());
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
