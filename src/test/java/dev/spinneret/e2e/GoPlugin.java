package dev.spinneret.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The Go CNI plugin as the tests and benchmarks run it: target/cni/spinneret, built by {@code mvn package}
 * (src/main/cni/build.sh). Running one IT on its own builds it here first (Go's build cache makes that quick).
 */
public final class GoPlugin {
    static final Path BUILD = Path.of("src/main/cni/build.sh").toAbsolutePath();

    private GoPlugin() {
    }

    /** The plugin binary, built with build.sh unless already present. */
    public static synchronized Path binary() throws IOException, InterruptedException {
        Path bin = Path.of("target/cni/spinneret").toAbsolutePath();
        if (Files.isExecutable(bin) && !Boolean.getBoolean("spinneret.cni.rebuild")) {
            return bin;
        }
        Process p = new ProcessBuilder(BUILD.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("src/main/cni/build.sh failed (exit " + p.exitValue() + ")");
        }
        return Path.of(out);
    }

    /** A CNI bin dir holding the plugin as {@code spinneret} and as {@code spiderpool}, as the installer lays it out. */
    public static Path binDir(Path parent) throws IOException, InterruptedException {
        Path dir = parent.resolve("bin");
        Files.createDirectories(dir);
        Path bin = binary();
        for (String name : new String[] { "spinneret", "spiderpool" }) {
            Files.deleteIfExists(dir.resolve(name));
            Files.copy(bin, dir.resolve(name));
            dir.resolve(name).toFile().setExecutable(true);
        }
        return dir;
    }
}
