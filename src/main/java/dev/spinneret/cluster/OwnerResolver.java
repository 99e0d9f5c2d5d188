package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Follows controller ownerReferences from a pod to its top controller: Pod → ReplicaSet → Deployment,
 * Pod → Job → CronJob, Pod → StatefulSet/DaemonSet, or any third-party controller (CloneSet, Rollout, ...).
 * Intermediate owners are cached by UID for a minute: 1000 pods of one ReplicaSet cost one lookup.
 */
@ApplicationScoped
public class OwnerResolver {
    private static final long TTL_MS = 60_000;
    private static final int MAX_DEPTH = 6;

    @Inject
    KubernetesClient client;

    private record Cached(Optional<OwnerReference> parent, long at) {
    }

    private final Map<String, Cached> parents = new ConcurrentHashMap<>();

    /** The top controller of an object, or the object itself when it has no controller. */
    public Owner topController(HasMetadata obj) {
        String ns = obj.getMetadata().getNamespace();
        Owner current = new Owner(obj.getApiVersion(), obj.getKind(), ns, obj.getMetadata().getName(),
                obj.getMetadata().getUid());
        Optional<OwnerReference> ref = controllerOf(obj.getMetadata().getOwnerReferences());
        for (int depth = 0; ref.isPresent() && depth < MAX_DEPTH; depth++) {
            OwnerReference r = ref.get();
            current = new Owner(r.getApiVersion(), r.getKind(), ns, r.getName(), r.getUid());
            ref = parentOf(r, ns);
        }
        return current;
    }

    private Optional<OwnerReference> parentOf(OwnerReference r, String ns) {
        long now = System.currentTimeMillis();
        Cached c = parents.get(r.getUid());
        if (c != null && now - c.at() < TTL_MS) {
            return c.parent();
        }
        Optional<OwnerReference> parent;
        try {
            GenericKubernetesResource owner = client.genericKubernetesResources(r.getApiVersion(), r.getKind())
                    .inNamespace(ns).withName(r.getName()).get();
            parent = owner == null ? Optional.empty() : controllerOf(owner.getMetadata().getOwnerReferences());
        } catch (KubernetesClientException | IllegalArgumentException e) {
            parent = Optional.empty(); // unknown kind or no permission: stop at the last owner we can name
        }
        if (parents.size() > 10_000) {
            parents.clear();
        }
        parents.put(r.getUid(), new Cached(parent, now));
        return parent;
    }

    static Optional<OwnerReference> controllerOf(List<OwnerReference> refs) {
        if (refs == null) {
            return Optional.empty();
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
    }
}
