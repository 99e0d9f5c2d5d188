package dev.spinneret.cni.kube;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

public class KubeConfigTest {
    public static byte[] res(String name) throws Exception {
        try (InputStream in = KubeConfigTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void kubectlStyleYamlWithDataAndCurrentContext() throws Exception {
        String yaml = "apiVersion: v1\n"
                + "clusters:\n"
                + "- cluster:\n"
                + "    certificate-authority-data: " + b64(res("rsa.crt")) + "\n"
                + "    server: https://10.0.0.1:6443\n"
                + "  name: other\n"
                + "- cluster:\n"
                + "    certificate-authority-data: " + b64(res("ec.crt")) + "\n"
                + "    server: \"https://kube.example:443/\"   # trailing comment\n"
                + "    tls-server-name: 'kubernetes.default.svc'\n"
                + "  name: kind-kind\n"
                + "contexts:\n"
                + "- context:\n"
                + "    cluster: kind-kind\n"
                + "    user: kind-kind\n"
                + "  name: kind-kind\n"
                + "- context:\n"
                + "    cluster: other\n"
                + "    user: nobody\n"
                + "  name: other\n"
                + "current-context: kind-kind\n"
                + "kind: Config\n"
                + "preferences: {}\n"
                + "users:\n"
                + "- name: kind-kind\n"
                + "  user:\n"
                + "    client-certificate-data: " + b64(res("ec.crt")) + "\n"
                + "    client-key-data: " + b64(res("ec-sec1.key")) + "\n";
        KubeConfig c = KubeConfig.parse(yaml, null, "test");
        assertEquals("https://kube.example:443", c.server.toString());
        assertEquals("kubernetes.default.svc", c.tlsServerName);
        assertArrayEquals(res("ec.crt"), c.caPem);
        assertNotNull(c.clientCertPem);
        assertNull(c.bearerToken());
        assertNotNull(KubeClient.sslContext(c));
    }

    @Test
    void indentedSequencesJsonAndTokenFile(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("token"), "abc.def.ghi\n");
        Files.write(dir.resolve("ca.crt"), res("rsa.crt"));
        String yaml = "# written by hand\n---\nkind: Config\nclusters:\n  - name: c\n    cluster:\n      server: https://127.0.0.1:6443\n"
                + "      certificate-authority: ca.crt\ncontexts:\n  - name: x\n    context: {\"cluster\": \"c\", \"user\": \"u\"}\n"
                + "current-context: x\nusers:\n  - name: u\n    user:\n      tokenFile: token\n";
        Path kc = dir.resolve("kc.yaml");
        Files.writeString(kc, yaml);
        KubeConfig c = KubeConfig.load(kc);
        assertEquals("abc.def.ghi", c.bearerToken());
        assertArrayEquals(res("rsa.crt"), c.caPem);

        String json = "{\"kind\":\"Config\",\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://[fd00::1]:6443\",\"insecure-skip-tls-verify\":true}}],"
                + "\"contexts\":[{\"name\":\"x\",\"context\":{\"cluster\":\"c\",\"user\":\"u\"}}],\"current-context\":\"x\","
                + "\"users\":[{\"name\":\"u\",\"user\":{\"token\":\"t0k\"}}]}";
        KubeConfig j = KubeConfig.parse(json, dir, "json");
        assertEquals("t0k", j.bearerToken());
        assertTrue(j.insecure);
        assertEquals("[fd00::1]", j.server.getHost());
    }

    @Test
    void privateKeyFormats() throws Exception {
        for (String k : new String[]{"rsa-pkcs1.key", "rsa-pkcs8.key", "ec-sec1.key", "ec-pkcs8.key"}) {
            PrivateKey key = Pem.privateKey(res(k), k);
            assertEquals(k.startsWith("rsa") ? "RSA" : "EC", key.getAlgorithm(), k);
        }
        // PKCS#1 and PKCS#8 forms of the same key are the same key
        assertArrayEquals(Pem.privateKey(res("rsa-pkcs1.key"), "a").getEncoded(), Pem.privateKey(res("rsa-pkcs8.key"), "b").getEncoded());
        assertEquals(1, Pem.certificates(res("rsa.crt"), "c").size());
        Exception e = assertThrows(Exception.class, () -> Pem.privateKey("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n".getBytes(StandardCharsets.US_ASCII), "k"));
        assertTrue(e.getMessage().contains("encrypted"));
        assertThrows(Exception.class, () -> Pem.privateKey("nothing".getBytes(StandardCharsets.US_ASCII), "k"));
    }

    @Test
    void clientCertFromFilesWithRsaPkcs1(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("c.crt"), res("rsa.crt"));
        Files.write(dir.resolve("c.key"), res("rsa-pkcs1.key"));
        String yaml = "clusters:\n- cluster:\n    server: http://127.0.0.1:8080\n  name: c\ncontexts:\n- context:\n    cluster: c\n    user: u\n  name: x\n"
                + "current-context: x\nusers:\n- name: u\n  user:\n    client-certificate: " + dir.resolve("c.crt") + "\n    client-key: c.key\n";
        KubeConfig c = KubeConfig.parse(yaml, dir, "t");
        assertNotNull(KubeClient.sslContext(c));
        assertFalse(c.insecure);
    }

    @Test
    void errors() {
        String[][] cases = {
                {"clusters: [\n", "cannot parse"},
                {"kind: Config\n", "no current-context"},
                {"current-context: x\ncontexts: []\n", "no entry named 'x' in contexts"},
                {"current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\nclusters:\n- name: c\n  cluster:\n    certificate-authority-data: AAAA\n", "has no server"},
                {"current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\n    user: u\nclusters:\n- name: c\n  cluster:\n    server: https://h\nusers:\n- name: u\n  user:\n    exec:\n      command: aws\n", "exec/auth-provider"},
                {"current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\nclusters:\n- name: c\n  cluster:\n    server: ftp://h\n", "must be an http(s) URL"},
                {"a: 1\n  b: 2\n", "bad indentation"},
                {"a: 1\na: 2\n", "duplicate key"},
        };
        for (String[] c : cases) {
            KubeConfig.KubeConfigException e = assertThrows(KubeConfig.KubeConfigException.class, () -> KubeConfig.parse(c[0], null, "t"), c[0]);
            assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
        KubeConfig.KubeConfigException e = assertThrows(KubeConfig.KubeConfigException.class, () -> KubeConfig.load(Path.of("/nonexistent/kc")));
        assertTrue(e.missingFile);
    }

    @Test
    void yamlBlockScalarsAndQuotes() throws Exception {
        Object v = MiniYaml.parse("a: |\n  line1\n  line2\nb: 'it''s'\nc: \"x\\ty\"\nd:\n  - 1\n  -\n    e: f\ng: ~\n");
        assertEquals("line1\nline2\n", dev.spinneret.cni.json.Json.str(v, "a"));
        assertEquals("it's", dev.spinneret.cni.json.Json.str(v, "b"));
        assertEquals("x\ty", dev.spinneret.cni.json.Json.str(v, "c"));
        assertEquals("f", dev.spinneret.cni.json.Json.str(dev.spinneret.cni.json.Json.list(v, "d").get(1), "e"));
    }
}
