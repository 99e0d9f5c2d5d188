package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The pod informer's store: keeps, of each pod, only what Spinneret reads from cached pods — name, namespace, uid,
 * resourceVersion (the informer compares it to tell updates), deletionTimestamp and grace period, the owner
 * references, and the labels and annotations under {@code ipam.spidernet.io/} (the reservation id, the reserved
 * addresses). Spec, status and managedFields are dropped: with 10,000 pods they were most of the heap (a full Pod
 * held 9.4-10 KB of live heap, its trimmed metadata 1.5-2.7 KB; docs/scaling.md). Readers of {@link ClusterCache}
 * pods (garbage collection in {@code gc/}, {@code Reinvocations}) must not look at anything else; a reader that needs
 * another field adds it here. Strings that repeat across pods (namespaces, keys, owner kinds) are interned.
 *
 * <p>
 * The informer still hands full objects to event handlers for adds, updates and deletes seen on the watch; the
 * old object of an update, the objects of the initial list and anything read back from the store are trimmed.
 */
final class PodMetadataStore implements ItemStore<Pod> {
    static final String DOMAIN = "ipam.spidernet.io/";
    private final BasicItemStore<Pod> items = new BasicItemStore<>(Cache::metaNamespaceKeyFunc);

    @Override
    public String getKey(Pod pod) {
        return items.getKey(pod);
    }

    @Override
    public Pod put(String key, Pod pod) {
        return items.put(key, trimmed(pod));
    }

    @Override
    public Pod remove(String key) {
        return items.remove(key);
    }

    @Override
    public Stream<String> keySet() {
        return items.keySet();
    }

    @Override
    public Stream<Pod> values() {
        return items.values();
    }

    @Override
    public int size() {
        return items.size();
    }

    @Override
    public Pod get(String key) {
        return items.get(key);
    }

    /** A new Pod with the fields listed in the class comment, and nothing else. */
    static Pod trimmed(Pod pod) {
        ObjectMeta m = pod.getMetadata();
        ObjectMeta t = new ObjectMeta();
        if (m != null) {
            t.setName(m.getName());
            t.setNamespace(intern(m.getNamespace()));
            t.setUid(m.getUid());
            t.setResourceVersion(m.getResourceVersion());
            t.setDeletionTimestamp(m.getDeletionTimestamp());
            t.setDeletionGracePeriodSeconds(m.getDeletionGracePeriodSeconds());
            t.setLabels(ours(m.getLabels()));
            t.setAnnotations(ours(m.getAnnotations()));
            t.setOwnerReferences(owners(m.getOwnerReferences()));
        }
        // the empty lists ObjectMeta starts with cost an object each, times every pod
        t.setFinalizers(null);
        t.setManagedFields(null);
        Pod p = new Pod();
        p.setMetadata(t);
        return p;
    }

    private static Map<String, String> ours(Map<String, String> in) {
        if (in == null) {
            return null;
        }
        Map<String, String> out = null;
        for (Map.Entry<String, String> e : in.entrySet()) {
            if (e.getKey().startsWith(DOMAIN)) {
                if (out == null) {
                    out = new HashMap<>(4);
                }
                out.put(e.getKey().intern(), e.getValue());
            }
        }
        return out;
    }

    private static List<OwnerReference> owners(List<OwnerReference> in) {
        if (in == null || in.isEmpty()) {
            return null;
        }
        List<OwnerReference> out = new ArrayList<>(in.size());
        for (OwnerReference r : in) {
            out.add(new OwnerReference(intern(r.getApiVersion()), r.getBlockOwnerDeletion(), r.getController(),
                    intern(r.getKind()), r.getName(), r.getUid()));
        }
        return out;
    }

    private static String intern(String s) {
        return s == null ? null : s.intern();
    }
}
