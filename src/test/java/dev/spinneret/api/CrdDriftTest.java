package dev.spinneret.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The committed CRDs in crds/ (and their copy in the Helm chart) must equal what the Java classes generate. */
@Tag("pure")
class CrdDriftTest {
    static final Path CRDS = Path.of("crds");
    static final Path CHART_CRDS = Path.of("helm/spinneret/crds");

    @Test
    void committedCrdsMatchTheJavaClasses() throws Exception {
        Map<String, String> generated = CrdFiles.render();
        if (Boolean.getBoolean("spinneret.crds.write")) {
            for (Path dir : new Path[] { CRDS, CHART_CRDS }) {
                Files.createDirectories(dir);
                for (var e : generated.entrySet()) {
                    Files.writeString(dir.resolve(e.getKey()), e.getValue());
                }
            }
        }
        for (Path dir : new Path[] { CRDS, CHART_CRDS }) {
            for (var e : generated.entrySet()) {
                Path file = dir.resolve(e.getKey());
                assertTrue(Files.exists(file), file + " is missing; regenerate with: " + CrdFiles.REGENERATE);
                assertEquals(e.getValue(), Files.readString(file), file
                        + " differs from what the Java classes generate; regenerate with: " + CrdFiles.REGENERATE);
            }
        }
    }

    @Test
    void seedPrinterColumnsInTheSeedsOrder() throws Exception {
        Map<String, String> generated = CrdFiles.render();
        assertColumns(generated.get("spiderippools.spiderpool.spidernet.io.yaml"),
                "VERSION", "SUBNET", "ALLOCATED-IP-COUNT", "TOTAL-IP-COUNT", "DEFAULT", "DISABLE");
        assertColumns(generated.get("spidersubnets.spiderpool.spidernet.io.yaml"),
                "VERSION", "SUBNET", "ALLOCATED-IP-COUNT", "TOTAL-IP-COUNT");
    }

    private static void assertColumns(String yaml, String... names) {
        int at = 0;
        for (String n : names) {
            int i = yaml.indexOf("name: \"" + n + "\"", at);
            assertTrue(i > at, n + " must follow the previous column in:\n" + yaml);
            at = i;
        }
    }
}
