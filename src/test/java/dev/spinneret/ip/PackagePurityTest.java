package dev.spinneret.ip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/** The address core is pure domain code: it may import java.math and java.util only (no Kubernetes, Quarkus, I/O). */
@Tag("pure")
class PackagePurityTest {

    @Test
    void mainSourcesImportOnlyJavaMathAndJavaUtil() throws IOException {
        Path dir = Path.of("src/main/java/dev/spinneret/ip");
        assertTrue(Files.isDirectory(dir), "run from the project directory: " + dir.toAbsolutePath());
        List<String> offending = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                for (String line : Files.readAllLines(f)) {
                    String t = line.trim();
                    if (t.startsWith("import ") && !t.matches("import (static )?java\\.(math|util)(\\.[A-Za-z0-9_.*]+)?;")) {
                        offending.add(f.getFileName() + ": " + t);
                    }
                }
            }
        }
        assertEquals(List.of(), offending);
    }
}
