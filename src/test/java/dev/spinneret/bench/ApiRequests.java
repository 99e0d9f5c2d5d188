package dev.spinneret.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API requests kube-apiserver has served, by verb and resource ({@code apiserver_request_total}), and the
 * admission webhook calls it made ({@code apiserver_admission_webhook_request_total}); two samples around a piece of
 * work say which requests it made. Read outside the span whose CPU is measured (rendering /metrics costs CPU).
 */
final class ApiRequests {
    private static final Pattern REQUEST = Pattern.compile("^apiserver_request_total\\{([^}]*)\\} ([0-9.eE+-]+)$");
    private static final Pattern WEBHOOK = Pattern.compile(
            "^apiserver_admission_webhook_request_total\\{([^}]*)\\} ([0-9.eE+-]+)$");

    private ApiRequests() {
    }

    static Map<String, Double> sample(KubernetesClient client) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : client.raw("/metrics").split("\n")) {
            Matcher m = REQUEST.matcher(line);
            if (m.matches()) {
                String resource = label(m.group(1), "resource");
                if (!resource.isEmpty()) { // non-resource requests: this sampling's own GET /metrics
                    String sub = label(m.group(1), "subresource");
                    out.merge(label(m.group(1), "verb") + " " + resource + (sub.isEmpty() ? "" : "/" + sub),
                            Double.parseDouble(m.group(2)), Double::sum);
                }
                continue;
            }
            Matcher w = WEBHOOK.matcher(line);
            if (w.matches()) {
                out.merge("webhook call " + label(w.group(1), "name"), Double.parseDouble(w.group(2)), Double::sum);
            }
        }
        return out;
    }

    /** Requests per pod between two samples (only kinds that occurred). */
    static Map<String, Double> perPod(Map<String, Double> before, Map<String, Double> after, int pods) {
        Map<String, Double> out = new TreeMap<>();
        after.forEach((k, v) -> {
            double d = v - before.getOrDefault(k, 0.0);
            if (d > 0) {
                out.put(k, d / pods);
            }
        });
        return out;
    }

    /** All API requests per pod (webhook calls are made by the API server, not to it: not counted). */
    static double total(Map<String, Double> perPod) {
        return perPod.entrySet().stream().filter(e -> !e.getKey().startsWith("webhook call"))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static String label(String labels, String name) {
        Matcher m = Pattern.compile("(?:^|,)" + name + "=\"([^\"]*)\"").matcher(labels);
        return m.find() ? m.group(1) : "";
    }
}
