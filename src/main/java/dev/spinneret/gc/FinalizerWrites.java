package dev.spinneret.gc;

import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/** Conditional rewrites of a pool's or subnet's finalizers. */
@ApplicationScoped
public class FinalizerWrites {
    @Inject
    KubernetesClient client;

    /**
     * Rewrites the finalizers of a fresh read of the object, conditionally on its resourceVersion (a concurrent change
     * means a re-read and another try). Acts only on the same incarnation ({@code uid}) in the same deletion state:
     * a legacy finalizer is migrated only while the object lives (none may be added once it is being deleted), and
     * finalizers are released only from an object being deleted; {@code still} re-checks the reason on the fresh
     * read (a pool's ledger is still empty). Returns whether it wrote.
     */
    <T extends CustomResource<?, ?>> boolean set(Class<T> type, String name, String uid, boolean deleting,
            Predicate<T> still, UnaryOperator<List<String>> change) {
        for (int attempt = 1; attempt <= 5; attempt++) {
            T fresh = client.resources(type).withName(name).get();
            if (fresh == null || !fresh.getMetadata().getUid().equals(uid) || fresh.isMarkedForDeletion() != deleting
                    || !still.test(fresh)) {
                return false;
            }
            List<String> have = fresh.getMetadata().getFinalizers() == null ? List.of()
                    : fresh.getMetadata().getFinalizers();
            List<String> want = change.apply(have);
            if (want.equals(have)) {
                return false;
            }
            fresh.getMetadata().setFinalizers(want);
            try {
                client.resource(fresh).update(); // carries the resourceVersion just read
                return true;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
        return false;
    }
}
