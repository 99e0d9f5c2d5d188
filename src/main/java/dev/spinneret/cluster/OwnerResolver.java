package dev.spinneret.cluster;

import dev.spinneret.pool.Owner;
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
 *
 * <p>A reference is a claim written by whoever created the object: each one is checked by reading the object it names
 * and comparing that object's UID with the UID claimed. When the object exists with another UID, or does not exist,
 * the reference names no workload and {@link #topController} throws {@link OwnerMismatch} (the pod webhook denies
 * the pod: a workload's identity decides its StatefulSet addresses, automatic pools and pool affinity, so it is not
 * handed to a pod that merely names it; a real controller's pods always name an existing owner, and a pod whose
 * owner is gone is deleted by the garbage collector anyway). A kind Spinneret may not read (RBAC) or does not know
 * ends the walk at that reference, unchecked, as before.
 *
 * <p>Checked owners are cached for a minute under everything the reference says — API version, kind, namespace,
 * name <em>and</em> UID — so a reference with a made-up UID can neither use nor poison another object's entry:
 * 1000 pods of one ReplicaSet still cost one lookup.
 */
@ApplicationScoped
public class OwnerResolver {
    private static final long TTL_MS = 60_000;
    private static final int MAX_DEPTH = 6;
    private static final int MAX_ENTRIES = 10_000;

    @Inject
    KubernetesClient client;

    /** The claimed owner is not the object of that name: the pod cannot be given a workload's identity. */
    public static final class OwnerMismatch extends RuntimeException {
        OwnerMismatch(String message) {
            super(message, null, false, false);
        }
    }

    private record Key(String apiVersion, String kind, String namespace, String name, String uid) {
    }

    private record Cached(Optional<OwnerReference> parent, long at) {
    }

    private final Map<Key, Cached> parents = new ConcurrentHashMap<>();

    /** The top controller of an object, or the object itself when it has no controller. */
    public Owner topController(HasMetadata obj) {
        String ns = obj.getMetadata().getNamespace();
        Owner current = new Owner(obj.getApiVersion(), obj.getKind(), ns, obj.getMetadata().getName(),
                obj.getMetadata().getUid());
        Optional<OwnerReference> ref = controllerOf(obj.getMetadata().getOwnerReferences());
        for (int depth = 0; ref.isPresent() && depth < MAX_DEPTH; depth++) {
            OwnerReference r = ref.get();
            Owner claimed = new Owner(r.getApiVersion(), r.getKind(), ns, r.getName(), r.getUid());
            ref = parentOf(r, ns, current);
            current = claimed;
        }
        return current;
    }

    private Optional<OwnerReference> parentOf(OwnerReference r, String ns, Owner child) {
        long now = System.currentTimeMillis();
        Key key = new Key(r.getApiVersion(), r.getKind(), ns, r.getName(), r.getUid());
        Cached c = parents.get(key);
        if (c != null && now - c.at() < TTL_MS) {
            return c.parent();
        }
        Optional<OwnerReference> parent;
        try {
            GenericKubernetesResource owner = client.genericKubernetesResources(r.getApiVersion(), r.getKind())
                    .inNamespace(ns).withName(r.getName()).get();
            String what = r.getKind() + " " + ns + "/" + r.getName();
            if (owner == null) {
                throw new OwnerMismatch("metadata.ownerReferences: the controller of " + child + " is " + what
                        + " (uid " + r.getUid() + "), which does not exist; Spinneret gives a workload's addresses"
                        + " only to pods of a controller that exists (a pod whose controller is gone is deleted by"
                        + " the garbage collector, and its controller creates it again)");
            }
            String actual = owner.getMetadata() == null ? null : owner.getMetadata().getUid();
            if (r.getUid() == null || !r.getUid().equals(actual)) {
                throw new OwnerMismatch("metadata.ownerReferences: the controller of " + child + " is named as "
                        + what + " with uid " + r.getUid() + ", but " + what + " has uid " + actual + ": the"
                        + " reference names another object (copied from an earlier object of that name, or forged),"
                        + " and Spinneret gives a workload's addresses only to pods of that very workload");
            }
            parent = controllerOf(owner.getMetadata().getOwnerReferences());
        } catch (KubernetesClientException | IllegalArgumentException e) {
            // unknown kind or no permission: stop at the last owner we can name, unchecked
            if (e instanceof KubernetesClientException k && (k.getCode() >= 500 || k.getCode() == 429)) {
                return Optional.empty(); // a passing failure: not remembered
            }
            parent = Optional.empty();
        }
        if (parents.size() > MAX_ENTRIES) {
            parents.clear();
        }
        parents.put(key, new Cached(parent, now));
        return parent;
    }

    static Optional<OwnerReference> controllerOf(List<OwnerReference> refs) {
        if (refs == null) {
            return Optional.empty();
        }
        return refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).findFirst();
    }
}
