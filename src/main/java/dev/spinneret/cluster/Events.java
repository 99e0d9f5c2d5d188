package dev.spinneret.cluster;

import dev.spinneret.pool.Owner;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/** Kubernetes Events on workloads ({@code kubectl describe deploy} shows why its pods are refused), sent off the request path. */
@ApplicationScoped
public class Events {
    private static final Logger LOG = Logger.getLogger(Events.class);

    @Inject
    KubernetesClient client;

    private final ExecutorService sender = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(1000), r -> {
                Thread t = new Thread(r, "event-sender");
                t.setDaemon(true);
                return t;
            }, new ThreadPoolExecutor.DiscardPolicy());

    public void warning(Owner on, String reason, String message) {
        record(on, "Warning", reason, message);
    }

    /** An ordinary change worth seeing in {@code kubectl describe} (an automatic pool created or resized). */
    public void normal(Owner on, String reason, String message) {
        record(on, "Normal", reason, message);
    }

    private void record(Owner on, String type, String reason, String message) {
        if (on == null || on.name() == null) {
            return;
        }
        // a cluster-scoped object's events go to "default", as kubectl describe looks for them there
        String ns = on.namespace() == null ? "default" : on.namespace();
        sender.execute(() -> {
            try {
                String now = Instant.now().toString();
                client.v1().events().inNamespace(ns).resource(new EventBuilder()
                        .withNewMetadata().withNamespace(ns)
                        .withName(on.name() + "." + UUID.randomUUID().toString().substring(0, 8)).endMetadata()
                        .withNewInvolvedObject().withApiVersion(on.apiVersion()).withKind(on.kind())
                        .withNamespace(on.namespace()).withName(on.name()).withUid(on.uid()).endInvolvedObject()
                        .withType(type).withReason(reason).withMessage(message)
                        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
                        .withNewSource().withComponent("spinneret").endSource()
                        .build()).create();
            } catch (RuntimeException e) {
                LOG.debugf("could not record event %s on %s: %s", reason, on, e.getMessage());
            }
        });
    }

    @PreDestroy
    void stop() {
        sender.shutdown();
    }
}
