package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Tag;

/**
 * The chart: lint, template, and an install into a second throwaway control plane of its own (so its webhooks,
 * which have no ready endpoints there, never touch the shared cluster of the other tests).
 */
@Tag("api-server")
class HelmChartIT {
    static String helm() {
        return RealCluster.get().env.get("BIN_DIR") + "/helm";
    }

    @Test
    void lintAndTemplatePassAndPodWebhooksExcludeKubeSystem() throws Exception {
        String chart = RealCluster.ROOT.resolve("helm/spinneret").toString();
        RealCluster.exec(List.of(helm(), "lint", chart), null, Map.of(), 120).ok();
        String out = RealCluster.exec(List.of(helm(), "template", "spinneret", chart, "-n", "spinneret-system",
                "--kube-version", "1.36.3", "--show-only", "templates/webhooks.yaml"), null, Map.of(), 120).ok().out();
        Map<String, JsonNode> podWebhooks = new TreeMap<>();
        try (MappingIterator<JsonNode> docs = new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class).readValues(out)) {
            for (JsonNode doc : docs.readAll()) {
                for (JsonNode w : doc.path("webhooks")) {
                    for (JsonNode rule : w.path("rules")) {
                        if (rule.path("resources").toString().contains("\"pods\"")) {
                            podWebhooks.put(w.path("name").asText(), w);
                        }
                    }
                }
            }
        }
        assertEquals(List.of("mutate-pod.spinneret.dev", "validate-pod.spinneret.dev"), List.copyOf(podWebhooks.keySet()));
        podWebhooks.forEach((name, w) -> {
            List<String> excluded = new ArrayList<>();
            for (JsonNode e : w.path("namespaceSelector").path("matchExpressions")) {
                if (e.path("key").asText().equals("kubernetes.io/metadata.name") && e.path("operator").asText().equals("NotIn")) {
                    e.path("values").forEach(v -> excluded.add(v.asText()));
                }
            }
            assertEquals(List.of("kube-system", "spinneret-system"), excluded, name + " excludes these namespaces");
        });
        assertEquals("NoneOnDryRun", podWebhooks.get("mutate-pod.spinneret.dev").path("sideEffects").asText());
        // the chart ships exactly the CRDs of crds/, byte for byte
        List<String> crds = names(RealCluster.ROOT.resolve("crds"));
        assertEquals(crds, names(RealCluster.ROOT.resolve("helm/spinneret/crds")));
        assertEquals(5, crds.size(), crds.toString());
        for (String crd : crds) {
            assertEquals(RealCluster.read(RealCluster.ROOT.resolve("crds/" + crd)),
                    RealCluster.read(RealCluster.ROOT.resolve("helm/spinneret/crds/" + crd)), crd);
        }
    }

    @Test
    void onTheNodesNetworkARollingUpdateMayTakeOneReplicaDown() throws Exception {
        String chart = RealCluster.ROOT.resolve("helm/spinneret").toString();
        Map<Boolean, Integer> unavailable = new TreeMap<>();
        for (boolean hostNetwork : List.of(false, true)) {
            String out = RealCluster.exec(List.of(helm(), "template", "spinneret", chart, "-n", "spinneret-system",
                    "--kube-version", "1.36.3", "--show-only", "templates/deployment.yaml",
                    "--set", "controller.hostNetwork=" + hostNetwork), null, Map.of(), 120).ok().out();
            JsonNode d = new ObjectMapper(new YAMLFactory()).readTree(out);
            JsonNode rolling = d.path("spec").path("strategy").path("rollingUpdate");
            assertEquals(1, rolling.path("maxSurge").asInt(-1), "maxSurge, hostNetwork=" + hostNetwork);
            assertEquals(hostNetwork, d.path("spec").path("template").path("spec").path("hostNetwork").asBoolean(false));
            unavailable.put(hostNetwork, rolling.path("maxUnavailable").asInt(-1));
        }
        // off the node's network a surge pod can always start, so no replica goes down; on it (ports 8080/9443 of
        // the node) a surge pod cannot share a node with a replica, and with as many replicas as nodes a rollout
        // that may not take one down never finishes
        assertEquals(Map.of(false, 0, true, 1), unavailable);
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
    }

    @Test
    void installCreatesEveryObjectAndTheExclusionsHold() {
        var r = RealCluster.exec(List.of(RealCluster.ROOT.resolve("helm/spinneret/ci/smoke-test.sh").toString(),
                RealCluster.ROOT.resolve("target/helm-control-plane").toString()), null, Map.of(), 600);
        assertEquals(0, r.code(), r.out() + r.err());
        // the script's summary, and one PASS line for each check it counted
        Matcher summary = Pattern.compile("(?m)^(\\d+) passed, (\\d+) failed$").matcher(r.out());
        assertTrue(summary.find(), r.out());
        assertEquals(0, Integer.parseInt(summary.group(2)), r.out());
        long passLines = r.out().lines().filter(l -> l.startsWith("PASS: ")).count();
        assertEquals(passLines, Integer.parseInt(summary.group(1)), r.out());
        assertTrue(passLines >= 10, "the smoke test ran its checks: " + r.out());
        assertTrue(r.out().lines().noneMatch(l -> l.startsWith("FAIL: ")), r.out());
    }
}
