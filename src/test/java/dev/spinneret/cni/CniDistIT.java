package dev.spinneret.cni;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The shipped form of the plugin: {@code src/main/cni/build-dist.sh} builds the launcher + jlinked runtime + class-sharing
 * archive from the packaged jar (its training run makes ADDs against RSA and EC P-256 fake servers, token and mTLS,
 * and it fails unless each succeeds and the archive maps), and the launcher then answers VERSION and an ADD against
 * an EC P-256 API server, verified by the plugin's P-256 verifier. Runs after {@code package} (needs
 * target/spinneret-cni.jar); uses Temurin 25 when installed, else this JVM's JDK.
 */
class CniDistIT {
    static Path dist;

    @BeforeAll
    static void build() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        assertTrue(Files.isRegularFile(root.resolve("target/spinneret-cni.jar")), "run after mvn package");
        dist = root.resolve("target/cni-dist-it");
        ProcessBuilder pb = new ProcessBuilder("src/main/cni/build-dist.sh", "--skip-mvn", "--out", dist.toString())
                .redirectErrorStream(true).redirectOutput(root.resolve("target/cni-dist-it.log").toFile());
        if (!Files.isExecutable(Path.of("/usr/lib/jvm/temurin-25-jdk-amd64/bin/jlink"))) {
            pb.command().addAll(java.util.List.of("--jdk", Path.of(System.getProperty("java.home")).toString()));
        }
        Process p = pb.start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "build-dist.sh took over 10 minutes");
        assertEquals(0, p.exitValue(), "build-dist.sh failed: " + Files.readString(root.resolve("target/cni-dist-it.log")));
    }

    static String run(Map<String, String> env, String stdin) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(dist.resolve("spinneret").toString());
        pb.environment().putAll(env);
        pb.redirectError(ProcessBuilder.Redirect.DISCARD);
        Process p = pb.start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return out;
    }

    @Test
    void versionAndAnAddAgainstAnEcP256Server() throws Exception {
        assertTrue(Files.isExecutable(dist.resolve("spiderpool")), "installed under Spiderpool's name too");
        assertTrue(Files.exists(dist.resolve("spinneret.d/app.aot")) || Files.exists(dist.resolve("spinneret.d/app.jsa")));
        assertTrue(run(Map.of("CNI_COMMAND", "VERSION"), "{\"cniVersion\":\"1.0.0\"}").contains("\"1.0.0\""));

        Path work = Files.createTempDirectory("spn-dist-it");
        try (FakeApiServer api = new FakeApiServer()) { // EC P-256 unless -Dspinneret.test.keyalg=RSA
            api.addPod("default", "web-0", "uid-1", Fixtures.DUAL_STACK);
            api.addPool("nginx-v4-ippool", Fixtures.V4_LEDGER);
            api.addPool("p6", "fd00::4=other,:5=k2x9a0b1");
            Path kc = api.writeKubeconfig(work);
            Path log = work.resolve("cni.log");
            String conf = "{\"cniVersion\":\"1.0.0\",\"name\":\"dist-it\",\"ipam\":{\"type\":\"spinneret\",\"kubeconfig\":\""
                    + kc + "\",\"log_file_path\":\"" + log + "\",\"log_level\":\"debug\"}}";
            String out = run(Map.of("CNI_COMMAND", "ADD", "CNI_CONTAINERID", "dist-it-1", "CNI_NETNS", "/var/run/netns/none",
                    "CNI_IFNAME", "eth0", "CNI_PATH", dist.toString(),
                    "CNI_ARGS", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;K8S_POD_UID=uid-1"), conf);
            assertTrue(out.contains("\"10.244.100.90/16\""), out);
            String lines = Files.readString(log);
            if (!"RSA".equalsIgnoreCase(System.getProperty("spinneret.test.keyalg", "EC"))) {
                assertTrue(lines.contains("verified by P256Provider"), lines);
            }
        }
    }
}
