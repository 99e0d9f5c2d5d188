package dev.spinneret.selection;

import java.util.Map;

/**
 * What selection needs to know about the pod: its namespace and labels, the namespace's labels and annotations, and
 * the nodes it may run on ({@link NodeScope}).
 */
public record PodFacts(String namespace, Map<String, String> podLabels, Map<String, String> namespaceLabels,
        Map<String, String> namespaceAnnotations, NodeScope nodes) {

    /** A pod pinned to {@code node} (with that node's labels), or, with a null node, one whose node is unknown. */
    public PodFacts(String namespace, Map<String, String> podLabels, Map<String, String> namespaceLabels,
            Map<String, String> namespaceAnnotations, String node, Map<String, String> nodeLabels) {
        this(namespace, podLabels, namespaceLabels, namespaceAnnotations,
                node == null ? NodeScope.unknown() : NodeScope.pinned(node, nodeLabels));
    }

    public PodFacts withNodes(NodeScope scope) {
        return new PodFacts(namespace, podLabels, namespaceLabels, namespaceAnnotations, scope);
    }
}
