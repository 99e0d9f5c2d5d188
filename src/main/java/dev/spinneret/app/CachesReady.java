package dev.spinneret.app;

import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.ReservedAddressesStarter;
import dev.spinneret.tls.WebhookTls;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/** Ready only when the informer caches have synced and the webhook's TLS certificate is being served. */
@Readiness
@ApplicationScoped
public class CachesReady implements HealthCheck {
    @Inject
    ClusterCache cache;
    @Inject
    ReservedAddressesStarter reserved;
    @Inject
    WebhookTls tls;

    @Override
    public HealthCheckResponse call() {
        boolean caches = cache.synced() && reserved.synced();
        boolean certificate = tls.ready();
        return HealthCheckResponse.named("spinneret").status(caches && certificate)
                .withData("informersSynced", caches).withData("tlsCertificateLoaded", certificate).build();
    }
}
