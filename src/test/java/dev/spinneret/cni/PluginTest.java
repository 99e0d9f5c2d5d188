package dev.spinneret.cni;

import dev.spinneret.cni.json.Json;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** End-to-end through {@link Main#execute} against the HTTPS fake API server (in-process, no netns). */
class PluginTest {
    static FakeApiServer api;
    static Path dir;
    static Path kubeconfig;
    static Path log;

    @BeforeAll
    static void start() throws Exception {
        api = new FakeApiServer();
        dir = Files.createTempDirectory("spn-plugin-test");
        kubeconfig = api.writeKubeconfig(dir);
        log = dir.resolve("cni.log");
    }

    @AfterAll
    static void stop() {
        api.close();
        deleteTree(dir);
    }

    static void deleteTree(Path root) {
        try (java.util.stream.Stream<Path> s = Files.walk(root)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // best effort
        }
    }

    @BeforeEach
    void reset() {
        api.pods.clear();
        api.pools.clear();
        api.endpoints.clear();
        api.requests.clear();
        api.delayMillis = 0;
        api.addPool("nginx-v4-ippool", Fixtures.V4_LEDGER);
        api.addPool("p6", "fd00::4=other,:5=k2x9a0b1");
        api.addPool("macvlan-pool", "172.16.5.7=k2x9a0b1");
    }

    record Run(int rc, String out) {
        Map<String, Object> json() throws Exception {
            return Json.parseObject(out);
        }

        long code() throws Exception {
            return (Long) json().get("code");
        }
    }

    static String conf(String version, String extraIpam) {
        return "{\"cniVersion\":\"" + version + "\",\"name\":\"test\",\"type\":\"macvlan\",\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":\""
                + kubeconfig + "\",\"log_file_path\":\"" + log + "\",\"log_level\":\"debug\",\"timeout_seconds\":3" + extraIpam + "}}";
    }

    static Run run(String cmd, String ifName, String podName, String uid, String stdin) {
        Map<String, String> env = new java.util.HashMap<>(CniEnvTest.env(cmd));
        env.put("CNI_IFNAME", ifName);
        env.put("CNI_CONTAINERID", "ctr-" + cmd.toLowerCase());
        env.put("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + podName + (uid == null ? "" : ";K8S_POD_UID=" + uid));
        return runEnv(env, stdin);
    }

    static Run runEnv(Map<String, String> env, String stdin) {
        Main.resetForTests();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int rc = Main.execute(env, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), new PrintStream(out, true), System.nanoTime(), false);
        return new Run(rc, out.toString(StandardCharsets.UTF_8).trim());
    }

    @Test
    void addDualStackCreatesAndConfirmsEndpoint() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        Run r = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", ""));
        assertEquals(0, r.rc, r.out);
        Map<String, Object> res = r.json();
        assertEquals("1.0.0", res.get("cniVersion"));
        assertEquals("10.244.100.90/16", Json.str(Json.list(res, "ips").get(0), "address"));
        assertEquals("fd00::5/64", Json.str(Json.list(res, "ips").get(1), "address"));
        Map<String, Object> sep = api.endpoint("default", "web-0");
        assertNotNull(sep);
        assertEquals("k2x9a0b1", Json.str(sep, "metadata", "labels", Plugin.RESERVATION_LABEL));
        Object owner = Json.list(sep, "metadata", "ownerReferences").get(0);
        assertEquals("uid-1", Json.str(owner, "uid"));
        assertEquals("Pod", Json.str(owner, "kind"));
        assertEquals("uid-1", Json.str(sep, "status", "current", "uid"));
        assertEquals("node-1", Json.str(sep, "status", "current", "node"));
        assertEquals("ctr-add", Json.str(sep, "status", "current", "containerID"));
        assertEquals("k2x9a0b1", Json.str(sep, "status", "current", "reservationID"));
        assertEquals(Json.parse(Fixtures.DUAL_STACK), Json.obj("id", "k2x9a0b1", "interfaces", Json.list(sep, "status", "current", "ips")));
        assertTrue(Files.readString(log).contains("ADD ok"));
        // the plugin never calls anything but the API server paths it needs
        for (String req : api.requests) assertTrue(req.matches("(GET|POST|PATCH) /api(s/spiderpool\\.spidernet\\.io/v2beta1)?/.*"), req);
    }

    @Test
    void addIsIdempotentAndOverwritesAStaleEndpoint() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.V4_ONLY);
        assertEquals(0, run("ADD", "eth0", "web-0", "uid-1", conf("0.4.0", "")).rc);
        Run again = run("ADD", "eth0", "web-0", "uid-1", conf("0.4.0", ""));
        assertEquals(0, again.rc, again.out);
        assertEquals("4", Json.str(Json.list(again.json(), "ips").get(0), "version"));
        // the pod is recreated (StatefulSet) with a new UID and a new reservation id
        api.pools.clear();
        api.addPool("nginx-v4-ippool", "10.244.100.90=newres01");
        api.addPod("default", "web-0", "uid-2", Fixtures.V4_ONLY.replace("k2x9a0b1", "newres01"));
        Run r = run("ADD", "eth0", "web-0", "uid-2", conf("0.3.1", ""));
        assertEquals(0, r.rc, r.out);
        Map<String, Object> sep = api.endpoint("default", "web-0");
        assertEquals("newres01", Json.str(sep, "status", "current", "reservationID"));
        assertEquals("uid-2", Json.str(sep, "status", "current", "uid"));
        assertEquals("newres01", Json.str(sep, "metadata", "labels", Plugin.RESERVATION_LABEL));
        List<Object> owners = Json.list(sep, "metadata", "ownerReferences");
        assertEquals(1, owners.size());
        assertEquals("uid-2", Json.str(owners.get(0), "uid"));
    }

    @Test
    void addHandlesCreateRace() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.V4_ONLY);
        api.raceOnCreate = true;
        Run r = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", ""));
        assertEquals(0, r.rc, r.out);
        assertEquals("ctr-add", Json.str(api.endpoint("default", "web-0"), "status", "current", "containerID"));
    }

    @Test
    void multiNicPicksCniIfname() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.MULTI_NIC);
        Run r = run("ADD", "net1", "web-0", null, conf("1.0.0", ""));
        assertEquals(0, r.rc, r.out);
        assertEquals("172.16.5.7/24", Json.str(Json.list(r.json(), "ips").get(0), "address"));
        assertEquals(1, Json.list(r.json(), "routes").size());
        Run missing = run("ADD", "net9", "web-0", null, conf("1.0.0", ""));
        assertEquals(CniError.NO_RESERVATION, missing.code());
        assertTrue(Json.str(missing.json(), "details").contains("net1"));
    }

    @Test
    void addErrors() throws Exception {
        api.addPod("default", "bare", "uid-b", null);
        Run noAnn = run("ADD", "eth0", "bare", null, conf("1.0.0", ""));
        assertEquals(1, noAnn.rc);
        assertEquals(CniError.NO_RESERVATION, noAnn.code());
        assertNull(api.endpoint("default", "bare"));

        assertEquals(CniError.POD_NOT_FOUND, run("ADD", "eth0", "ghost", null, conf("1.0.0", "")).code());

        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        Run uid = run("ADD", "eth0", "web-0", "uid-OLD", conf("0.4.0", ""));
        assertEquals(CniError.UID_MISMATCH, uid.code());
        assertEquals("0.4.0", uid.json().get("cniVersion"));

        api.addPool("p6", "fd00::5=someoneelse");
        Run stolen = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", ""));
        assertEquals(CniError.RESERVATION_NOT_HELD, stolen.code());
        assertTrue(stolen.json().get("msg").toString().contains("someoneelse"));
        api.pools.remove("p6");
        Run gone = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", ""));
        assertEquals(CniError.RESERVATION_NOT_HELD, gone.code());
        assertTrue(gone.json().get("msg").toString().contains("no longer exists"));
        api.addPool("p6", "fd00::4=x");
        assertEquals(CniError.RESERVATION_NOT_HELD, run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", "")).code());
        assertNull(api.endpoint("default", "web-0"), "nothing confirmed when the reservation does not hold");

        api.addPod("default", "junk", "uid-j", "{not json");
        assertEquals(CniError.BAD_RESERVATION, run("ADD", "eth0", "junk", null, conf("1.0.0", "")).code());
    }

    @Test
    void apiServerUnreachableOrSlowIsTryAgainLater() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path d = Files.createTempDirectory(dir, "unreach");
        Path kc = FakeApiServer.writeKubeconfig(d, "https://127.0.0.1:" + port);
        String c = conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString());
        Run r = run("ADD", "eth0", "web-0", null, c);
        assertEquals(CniError.TRY_AGAIN_LATER, r.code(), r.out);
        assertTrue(r.json().get("msg").toString().contains("unreachable"), r.out);

        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        api.delayMillis = 3000;
        long t0 = System.nanoTime();
        Run slow = run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace("\"timeout_seconds\":3", "\"timeout_seconds\":0.5"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(CniError.TRY_AGAIN_LATER, slow.code(), slow.out);
        assertTrue(ms < 1500, "bounded by timeout_seconds, took " + ms + " ms");

        Path nokc = d.resolve("missing.kubeconfig");
        assertEquals(CniError.TRY_AGAIN_LATER, run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace(kubeconfig.toString(), nokc.toString())).code());
        Files.writeString(nokc, "current-context: [\n");
        assertEquals(CniError.INVALID_NETCONF, run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace(kubeconfig.toString(), nokc.toString())).code());
    }

    @Test
    void wrongTokenIsApiError() throws Exception {
        Path d = Files.createTempDirectory(dir, "badtoken");
        Path kc = api.writeKubeconfig(d);
        Files.writeString(kc, Files.readString(kc).replace(FakeApiServer.TOKEN, "wrong"));
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        Run r = run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString()));
        assertEquals(CniError.API_ERROR, r.code());
        assertTrue(r.json().get("details").toString().contains("ClusterRole"));

        Files.writeString(kc, Files.readString(kc).replace("token: wrong", "tokenFile: " + d.resolve("token")));
        Run noToken = run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString()));
        assertEquals(CniError.TRY_AGAIN_LATER, noToken.code(), noToken.out);
        assertTrue(noToken.json().get("msg").toString().contains("cannot read tokenFile"), noToken.out);
        Files.writeString(d.resolve("token"), FakeApiServer.TOKEN + "\n");
        assertEquals(0, run("ADD", "eth0", "web-0", null, conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString())).rc);
    }

    @Test
    void serverNameIsVerified() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        Path d = Files.createTempDirectory(dir, "names");
        Path kc = FakeApiServer.writeKubeconfig(d, "https://localhost:" + api.port()); // SAN dns:localhost
        String c = conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString());
        assertEquals(0, run("ADD", "eth0", "web-0", "uid-1", c).rc);

        String yaml = Files.readString(kc).replace("https://localhost:", "https://127.0.0.1:");
        Files.writeString(kc, yaml.replace("    server: ", "    tls-server-name: localhost\n    server: "));
        assertEquals(0, run("ADD", "eth0", "web-0", "uid-1", c).rc, "tls-server-name is what the certificate must match");

        Files.writeString(kc, yaml.replace("    server: ", "    tls-server-name: api.example.com\n    server: "));
        int before = api.requests.size();
        Run wrong = run("ADD", "eth0", "web-0", "uid-1", c);
        assertEquals(CniError.API_ERROR, wrong.code(), wrong.out);
        assertTrue(wrong.json().get("msg").toString().contains("not valid for 'api.example.com'"), wrong.out);
        assertEquals(before, api.requests.size(), "no request (and no token) is sent to a server with the wrong name");
    }

    /** Java 20+ only (the plugin offers only X25519 first where SSLParameters.setNamedGroups exists). */
    @Test
    void serverWithoutX25519IsRetriedWithTheDefaultGroups() throws Exception {
        assumeTrue(Runtime.version().feature() >= 20, "needs Java 20+ (SSLParameters.setNamedGroups)");
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        String retry = "retrying with the default key exchange groups";
        long logged = Files.exists(log) ? Files.size(log) : 0;
        assertEquals(0, run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", "")).rc);
        assertFalse(Files.readString(log).substring((int) logged).contains(retry), "X25519 is accepted at once");
        try (FakeApiServer p256 = new FakeApiServer(null, new String[]{"secp256r1"})) {
            p256.addPod("default", "web-0", "uid-1", Fixtures.V4_ONLY);
            p256.addPool("nginx-v4-ippool", Fixtures.V4_LEDGER);
            Path d = Files.createTempDirectory(dir, "p256");
            Path kc = FakeApiServer.writeKubeconfig(d, p256.url());
            logged = Files.size(log);
            Run r = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString()));
            assertEquals(0, r.rc, r.out);
            assertTrue(Files.readString(log).substring((int) logged).contains(retry));
            assertNotNull(p256.endpoint("default", "web-0"));
        }
    }

    @Test
    void clientCertificateAuthentication() throws Exception {
        for (String[] pair : new String[][]{{"rsa.crt", "rsa-pkcs1.key"}, {"ec.crt", "ec-sec1.key"}, {"rsa.crt", "rsa-pkcs8.key"}}) {
            byte[] crt = dev.spinneret.cni.kube.KubeConfigTest.res(pair[0]);
            byte[] key = dev.spinneret.cni.kube.KubeConfigTest.res(pair[1]);
            java.security.cert.X509Certificate ca = (java.security.cert.X509Certificate) java.security.cert.CertificateFactory
                    .getInstance("X.509").generateCertificate(new ByteArrayInputStream(crt));
            try (FakeApiServer mtls = new FakeApiServer(ca)) {
                mtls.addPod("default", "web-0", "uid-1", Fixtures.V4_ONLY);
                mtls.addPool("nginx-v4-ippool", Fixtures.V4_LEDGER);
                Path d = Files.createTempDirectory(dir, "mtls");
                Path kc = FakeApiServer.writeKubeconfig(d, mtls.url());
                Files.write(d.resolve("client.crt"), crt);
                Files.write(d.resolve("client.key"), key);
                Files.writeString(kc, Files.readString(kc).replace("    token: " + FakeApiServer.TOKEN + "\n",
                        "    client-certificate: client.crt\n    client-key: " + d.resolve("client.key") + "\n"));
                Run r = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", "").replace(kubeconfig.toString(), kc.toString()));
                assertEquals(0, r.rc, pair[1] + ": " + r.out);
                assertNotNull(mtls.endpoint("default", "web-0"));
            }
        }
    }

    @Test
    void delClearsOnlyOurContainerIdAndNeverFails() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        assertEquals(0, run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", "")).rc);
        Map<String, String> env = new java.util.HashMap<>(CniEnvTest.env("DEL"));
        env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        env.put("CNI_CONTAINERID", "some-other-container");
        Run other = runEnv(env, conf("1.0.0", ""));
        assertEquals(0, other.rc);
        assertEquals("", other.out);
        assertEquals("ctr-add", Json.str(api.endpoint("default", "web-0"), "status", "current", "containerID"));

        env.put("CNI_CONTAINERID", "ctr-add");
        assertEquals(0, runEnv(env, conf("1.0.0", "")).rc);
        Map<String, Object> sep = api.endpoint("default", "web-0");
        assertEquals("", Json.str(sep, "status", "current", "containerID"));
        assertEquals("k2x9a0b1", Json.str(sep, "status", "current", "reservationID"), "DEL releases nothing");
        assertEquals(Fixtures.V4_LEDGER, Json.str(api.pools.get("nginx-v4-ippool"), "status", "allocatedIPs"));

        // again (idempotent), with everything gone, with no pod args, with the API server down
        assertEquals(0, runEnv(env, conf("1.0.0", "")).rc);
        api.endpoints.clear();
        api.pods.clear();
        api.pools.clear();
        assertEquals(0, runEnv(env, conf("1.0.0", "")).rc);
        env.put("CNI_ARGS", "");
        assertEquals(0, runEnv(env, conf("1.0.0", "")).rc);
        env.put("CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0");
        assertEquals(0, runEnv(env, conf("1.0.0", "").replace(kubeconfig.toString(), "/nonexistent")).rc);
        // but a broken config is still reported
        Run bad = runEnv(env, "{");
        assertEquals(1, bad.rc);
        assertEquals(CniError.DECODE_FAILURE, bad.code());
    }

    @Test
    void checkVerifiesReservationAndPrevResult() throws Exception {
        api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
        Run add = run("ADD", "eth0", "web-0", "uid-1", conf("1.0.0", ""));
        String withPrev = conf("1.0.0", "").replaceFirst("}}$", "},\"prevResult\":" + add.out + "}");
        Run ok = run("CHECK", "eth0", "web-0", "uid-1", withPrev);
        assertEquals(0, ok.rc, ok.out);
        assertEquals("", ok.out);
        Run mism = run("CHECK", "eth0", "web-0", "uid-1", withPrev.replace("10.244.100.90/16", "10.244.100.91/16"));
        assertEquals(CniError.CHECK_MISMATCH, mism.code());
        assertEquals(CniError.UID_MISMATCH, run("CHECK", "eth0", "web-0", "uid-9", withPrev).code());
        api.addPool("nginx-v4-ippool", "10.244.100.90=zzz");
        assertEquals(CniError.RESERVATION_NOT_HELD, run("CHECK", "eth0", "web-0", "uid-1", withPrev).code());
    }

    @Test
    void versionAndEnvErrors() throws Exception {
        Run v = runEnv(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}");
        assertEquals(0, v.rc);
        assertEquals("{\"cniVersion\":\"1.0.0\",\"supportedVersions\":[\"0.3.1\",\"0.4.0\",\"1.0.0\"]}", v.out);
        Run noCmd = runEnv(Map.of(), "");
        assertEquals(1, noCmd.rc);
        assertEquals(CniError.INVALID_ENV, noCmd.code());
        Run oldVersion = run("ADD", "eth0", "web-0", null, conf("0.2.0", ""));
        assertEquals(CniError.INCOMPATIBLE_VERSION, oldVersion.code());
        assertFalse(oldVersion.out.contains("\n"));
    }
}
