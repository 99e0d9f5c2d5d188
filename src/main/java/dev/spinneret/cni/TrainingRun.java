package dev.spinneret.cni;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The class-sharing archive's training run (src/main/cni/build-dist.sh): one CNI call per network configuration file
 * named on the command line, with this process's CNI_* environment, in one JVM. Training against several API servers
 * (RSA and EC P-256 certificates, token and client-certificate auth) puts every code path an ADD can take into the
 * archive, whichever kind of cluster the plugin is installed in. Exits non-zero unless every call succeeded.
 */
public final class TrainingRun {
    private TrainingRun() {
    }

    public static void main(String[] confFiles) throws IOException {
        Main.startOwnProcess("ADD"); // as Main.main does, so that those classes are in the archive
        int failed = 0;
        for (String f : confFiles) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Main.resetForTests();
            int rc = Main.execute(System.getenv(), new ByteArrayInputStream(Files.readAllBytes(Path.of(f))),
                    new PrintStream(out, true, StandardCharsets.UTF_8), System.nanoTime(), false);
            String result = out.toString(StandardCharsets.UTF_8).trim();
            System.err.println(f + ": exit " + rc + ": " + result);
            if (rc != 0) failed++;
        }
        Log.close();
        System.exit(failed == 0 ? 0 : 1);
    }
}
