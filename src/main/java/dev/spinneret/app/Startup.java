package dev.spinneret.app;

import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.ReservedAddressesStarter;
import dev.spinneret.gc.GarbageCollector;
import dev.spinneret.ledger.PoolBlocks;
import dev.spinneret.reservation.LateReservations;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Starts the informers and the garbage collector off the start-up thread, retrying while the API server is unreachable, so
 * the HTTP server and liveness come up at once and readiness follows the caches.
 */
@ApplicationScoped
public class Startup {
    private static final Logger LOG = Logger.getLogger(Startup.class);

    @Inject
    ClusterCache cache;
    @Inject
    ReservedAddressesStarter reserved;
    @Inject
    GarbageCollector gc;
    @Inject
    LateReservations late;
    @Inject
    AdmissionGate gate;
    @Inject
    dev.spinneret.adopt.SpiderpoolAdoption adoption;
    @Inject
    PoolBlocks blocks;
    @ConfigProperty(name = "spinneret.informers.enabled", defaultValue = "true")
    boolean enabled;

    void onStart(@Observes StartupEvent ev) {
        if (!enabled) {
            return;
        }
        gate.watch(cache); // before the informer starts, so it sees every pool's first event
        Thread t = new Thread(() -> {
            for (int attempt = 1;; attempt++) {
                try {
                    cache.start();
                    blocks.start();
                    reserved.start();
                    gc.start();
                    late.start();
                    adoption.start();
                    return;
                } catch (RuntimeException e) {
                    LOG.warnf("cannot start the informers yet (attempt %d): %s", attempt, e.getMessage());
                    try {
                        Thread.sleep(Math.min(10_000, 500L * attempt));
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
        }, "spinneret-startup");
        t.setDaemon(true);
        t.start();
    }
}
