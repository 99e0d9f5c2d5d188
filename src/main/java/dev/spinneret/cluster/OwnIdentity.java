package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReview;
import io.fabric8.kubernetes.api.model.authentication.SelfSubjectReviewBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The user name Spinneret's own API requests arrive under (its ServiceAccount in a cluster), asked once from the
 * API server with a SelfSubjectReview, or set with {@code spinneret.identity}. Webhooks use it to tell Spinneret's
 * own changes (resizing an automatic pool) from a user's.
 */
@ApplicationScoped
public class OwnIdentity {
    private static final Logger LOG = Logger.getLogger(OwnIdentity.class);

    @Inject
    KubernetesClient client;
    @ConfigProperty(name = "spinneret.identity")
    Optional<String> configured;

    private volatile String asked;

    /** Empty when it cannot be known (then callers must not refuse anything on that basis). */
    public Optional<String> username() {
        if (configured.isPresent() && !configured.get().isBlank()) {
            return configured;
        }
        if (asked == null) {
            try {
                SelfSubjectReview r = client.resource(new SelfSubjectReviewBuilder().build()).create();
                if (r != null && r.getStatus() != null && r.getStatus().getUserInfo() != null) {
                    asked = r.getStatus().getUserInfo().getUsername();
                    LOG.infof("Spinneret's own API requests arrive as %s", asked);
                }
            } catch (RuntimeException e) {
                LOG.debugf("SelfSubjectReview failed: %s", e.getMessage());
            }
        }
        return Optional.ofNullable(asked);
    }
}
