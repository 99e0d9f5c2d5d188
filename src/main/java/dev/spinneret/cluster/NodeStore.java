package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.stream.Stream;

/**
 * The node informer's store: keeps, of each Node, what placing a pod on a node-bound pool reads — name,
 * resourceVersion (the informer compares it), labels, taints and {@code spec.unschedulable}. Status (images,
 * conditions, addresses: most of a Node's size) and managedFields are dropped. Readiness is seen through the
 * {@code node.kubernetes.io/not-ready} taint Kubernetes sets.
 */
final class NodeStore implements ItemStore<Node> {
    private final BasicItemStore<Node> items = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);

    @Override
    public String getKey(Node node) {
        return items.getKey(node);
    }

    @Override
    public Node put(String key, Node node) {
        return items.put(key, trimmed(node));
    }

    @Override
    public Node remove(String key) {
        return items.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet();
    }

    @Override
    public Stream<Node> values() {
        return items.values();
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public Node get(String key) {
        return items.get(key);
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
