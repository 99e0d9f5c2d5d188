package dev.spinneret.chart;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The chart's alert rules and Grafana dashboard name only metrics the service registers: each Prometheus name
 * ({@code spinneret_pool_allocated}, {@code spinneret_denials_total}, {@code spinneret_admission_duration_seconds_bucket})
 * maps back to a Micrometer meter name ({@code spinneret.pool.allocated}, ...) written in the service's code. A
 * renamed meter fails this test instead of leaving a dashboard panel empty and an alert silent.
 */
@Tag("pure")
class MonitoringNamesTest {
    static final Path CHART = Path.of("helm/spinneret");
    static final Pattern METRIC = Pattern.compile("\\bspinneret_[a-z_]+");

    static Set<String> meterNamesInCode() throws IOException {
        Set<String> names = new TreeSet<>();
        Pattern literal = Pattern.compile("\"(spinneret\\.[a-z.]+)\"");
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = literal.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    /** The meter names a Prometheus name can come from (a gauge may itself end in "total"). */
    static Set<String> meterNames(String prometheusName) {
        String n = prometheusName.replaceAll("_(bucket|sum|count)$", "").replaceAll("_seconds$", "");
        Set<String> out = new TreeSet<>(Set.of(n.replace('_', '.')));
        if (n.endsWith("_total")) {
            out.add(n.substring(0, n.length() - "_total".length()).replace('_', '.'));
        }
        return out;
    }

    static Set<String> metricsIn(String text) {
        Set<String> out = new TreeSet<>();
        Matcher m = METRIC.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    @Test
    void everyMetricOfTheRulesAndTheDashboardIsRegisteredByTheService() throws IOException {
        Set<String> meters = meterNamesInCode();
        assertTrue(meters.contains("spinneret.pool.allocated"), "the scan finds the service's meters: " + meters);
        String rules = Files.readString(CHART.resolve("templates/monitoring.yaml"));
        String dashboard = Files.readString(CHART.resolve("dashboards/spinneret.json"));
        new ObjectMapper().readTree(dashboard); // valid JSON
        Set<String> used = new TreeSet<>(metricsIn(rules));
        used.addAll(metricsIn(dashboard));
        assertFalse(used.isEmpty());
        for (String metric : used) {
            assertTrue(meterNames(metric).stream().anyMatch(meters::contains), metric + " (meter "
                    + meterNames(metric) + ") is not registered anywhere in src/main/java; registered: " + meters);
        }
    }

    @Test
    void theMappingFollowsPrometheusNaming() {
        assertTrue(meterNames("spinneret_denials_total").contains("spinneret.denials"));
        assertTrue(meterNames("spinneret_admission_duration_seconds_bucket").contains("spinneret.admission.duration"));
        assertTrue(meterNames("spinneret_pool_total").contains("spinneret.pool.total"));
        assertFalse(meterNames("spinneret_pool_allocated").contains("spinneret.pool"));
    }
}
