package dev.spinneret.tiers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every test class names its tier (README, "Test tiers"), so that {@code -Dtest.tiers}/{@code -Dit.tiers} select
 * exactly it; and integration-tests/CASES.md names only tests that exist.
 */
@Tag("pure")
class TestTiersTest {
    static final Set<String> UNIT = Set.of("pure", "webhook");
    static final Set<String> IT = Set.of("api-server", "netns", "nodes");
    static final JavaClasses TESTS = new ClassFileImporter().withImportOption(ImportOption.Predefined.ONLY_INCLUDE_TESTS)
            .importPackages("dev.spinneret");

    static boolean isTestClass(JavaClass c) {
        return c.getMethods().stream().anyMatch(m -> m.isAnnotatedWith(Test.class)
                || m.isAnnotatedWith("org.junit.jupiter.params.ParameterizedTest"));
    }

    static String tier(JavaClass c) {
        return c.isAnnotatedWith(Tag.class) ? c.getAnnotationOfType(Tag.class).value() : null;
    }

    @Test
    void everyTestClassHasTheTierItsKindRunsIn() {
        List<String> wrong = new ArrayList<>();
        int seen = 0;
        for (JavaClass c : TESTS) {
            if (!isTestClass(c) || c.isNestedClass()) {
                continue;
            }
            seen++;
            String tier = tier(c);
            boolean it = c.getSimpleName().endsWith("IT");
            // the webhook tier: the service in Quarkus, or a class of it, against the fabric8 mock API server
            boolean quarkus = c.isAnnotatedWith("io.quarkus.test.junit.QuarkusTest")
                    || c.isAnnotatedWith("io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient");
            String expected = it ? "one of " + IT : quarkus ? "webhook" : "pure";
            boolean ok = tier != null && (it ? IT.contains(tier) : tier.equals(quarkus ? "webhook" : "pure"));
            if (!ok) {
                wrong.add(c.getSimpleName() + ": @Tag(" + tier + "), expected @Tag(\"" + expected + "\")");
            }
        }
        assertTrue(seen > 40, "found the test classes: " + seen);
        assertEquals(List.of(), wrong);
    }

    /** The test classes and their test methods, by simple name. */
    static Map<String, Set<String>> tests() {
        Map<String, Set<String>> out = new TreeMap<>();
        for (JavaClass c : TESTS) {
            if (isTestClass(c)) {
                Set<String> methods = new TreeSet<>();
                c.getMethods().forEach(m -> methods.add(m.getName()));
                out.put(c.getSimpleName(), methods);
            }
        }
        return out;
    }

    @Test
    void casesNameOnlyTestsThatExist() throws IOException {
        String cases = Files.readString(Path.of("integration-tests/CASES.md"));
        Map<String, Set<String>> tests = tests();
        List<String> missing = new ArrayList<>();
        int refs = 0;
        // a reference is a test class name (…IT or …Test), optionally with #method
        Matcher m = Pattern.compile("\\b([A-Z][A-Za-z0-9]*(?:IT|Test))(?:#([a-z][A-Za-z0-9]*))?").matcher(cases);
        while (m.find()) {
            refs++;
            Set<String> methods = tests.get(m.group(1));
            if (methods == null) {
                missing.add(m.group());
            } else if (m.group(2) != null && !methods.contains(m.group(2))) {
                missing.add(m.group() + " (no such method)");
            }
        }
        Matcher go = Pattern.compile("`(src/main/cni/[^`]*_test\\.go)#(Test\\w+)`").matcher(cases);
        while (go.find()) {
            refs++;
            if (!Files.readString(Path.of(go.group(1))).contains("func " + go.group(2) + "(")) {
                missing.add(go.group(1) + "#" + go.group(2));
            }
        }
        assertTrue(refs > 50, "CASES.md references read: " + refs);
        assertEquals(List.of(), missing, "CASES.md names tests that do not exist");
    }
}
