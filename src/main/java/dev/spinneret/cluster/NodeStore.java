package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;

/**
 * The node informer's store: keeps, of each Node, what placing a pod on a node-bound pool reads — name,
 * resourceVersion (the informer compares it), labels, taints and {@code spec.unschedulable}. Status (images,
 * conditions, addresses: most of a Node's size) and managedFields are dropped. Readiness is seen through the
 * {@code node.kubernetes.io/not-ready} taint Kubernetes sets.
 */
final class NodeStore extends TrimmedStore<Node> {
    NodeStore() {
        super(NodeStore::trimmed);
    }

    static Node trimmed(Node node) {
        ObjectMeta m = node.getMetadata();
        ObjectMeta t = new ObjectMeta();
        t.setName(m.getName());
        t.setResourceVersion(m.getResourceVersion());
        t.setLabels(m.getLabels());
        t.setFinalizers(null);
        t.setManagedFields(null);
        NodeSpec spec = new NodeSpec();
        if (node.getSpec() != null) {
            spec.setTaints(node.getSpec().getTaints());
            spec.setUnschedulable(node.getSpec().getUnschedulable());
        }
        Node n = new Node();
        n.setMetadata(t);
        n.setSpec(spec);
        return n;
    }
}
