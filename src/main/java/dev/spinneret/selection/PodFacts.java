package dev.spinneret.selection;

import java.util.Map;

/**
 * What selection needs to know about the pod. {@code node} is the node the pod is pinned to at admission
 * (spec.nodeName, a {@code kubernetes.io/hostname} node selector, or a DaemonSet's metadata.name node affinity),
 * or null; {@code nodeLabels} are that node's labels when known.
 */
public record PodFacts(String namespace, Map<String, String> podLabels, Map<String, String> namespaceLabels,
        Map<String, String> namespaceAnnotations, String node, Map<String, String> nodeLabels) {
}
