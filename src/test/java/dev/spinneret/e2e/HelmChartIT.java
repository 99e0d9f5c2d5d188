package dev.spinneret.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The chart: lint, template, and an install into a second throwaway control plane of its own (so its webhooks,
 * which have no ready endpoints there, never touch the shared cluster of the other tests).
 */
class HelmChartIT {
    static String helm() {
        return RealCluster.get().env.get("BIN_DIR") + "/helm";
    }

    @Test
    void lintAndTemplatePassAndPodWebhooksExcludeKubeSystem() {
        String chart = RealCluster.ROOT.resolve("helm/spinneret").toString();
        RealCluster.exec(List.of(helm(), "lint", chart), null, Map.of(), 120).ok();
        String out = RealCluster.exec(List.of(helm(), "template", "spinneret", chart, "-n", "spinneret-system",
                "--kube-version", "1.36.3", "--show-only", "templates/webhooks.yaml"), null, Map.of(), 120).ok().out();
        int pod = out.indexOf("mutate-pod.spinneret.dev");
        assertTrue(pod > 0, out);
        String podWebhook = out.substring(pod);
        assertTrue(podWebhook.contains("kube-system") && podWebhook.contains("spinneret-system"), podWebhook);
        assertTrue(podWebhook.contains("NoneOnDryRun"), podWebhook);
        for (String crdsEqual : List.of("spiderippools", "spidersubnets", "spiderreservedips", "spiderendpoints")) {
            Path a = RealCluster.ROOT.resolve("crds/" + crdsEqual + ".spiderpool.spidernet.io.yaml");
            Path b = RealCluster.ROOT.resolve("helm/spinneret/crds/" + crdsEqual + ".spiderpool.spidernet.io.yaml");
            assertEquals(RealCluster.read(a), RealCluster.read(b), "the chart ships the same CRDs as crds/");
        }
    }

    @Test
    void installCreatesEveryObjectAndTheExclusionsHold() {
        var r = RealCluster.exec(List.of(RealCluster.ROOT.resolve("helm/spinneret/ci/smoke-test.sh").toString(),
                RealCluster.ROOT.resolve("target/helm-control-plane").toString()), null, Map.of(), 600);
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("0 failed") || !r.out().contains("FAIL:"), r.out());
    }
}
