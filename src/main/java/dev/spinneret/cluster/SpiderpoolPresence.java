package dev.spinneret.cluster;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Whether a pool Spiderpool wrote may be adopted now: not while a Spiderpool agent or controller still runs (both
 * would keep writing the JSON ledger Spinneret is importing), and not in dry-run mode
 * ({@code spinneret.adopt.dry-run=true}: the import is reported, nothing is written). Spiderpool's pods are found by
 * the label its chart puts on both ({@code spinneret.adopt.spiderpool-selector}) in the one namespace Spiderpool was
 * installed in ({@code spinneret.adopt.spiderpool-namespace}, default kube-system), never cluster-wide: a tenant who
 * may create pods could otherwise put that label on a pod of its own and hold every Spiderpool pool unadopted (and so
 * refusing reservations) for as long as it likes. The answer is kept for 10 s.
 */
@ApplicationScoped
public class SpiderpoolPresence {
    private static final Duration KEEP = Duration.ofSeconds(10);

    @Inject
    KubernetesClient client;
    @ConfigProperty(name = "spinneret.adopt.spiderpool-selector", defaultValue = "app.kubernetes.io/name=spiderpool")
    String selector;
    @ConfigProperty(name = "spinneret.adopt.spiderpool-namespace", defaultValue = "kube-system")
    String namespace;
    @ConfigProperty(name = "spinneret.adopt.dry-run", defaultValue = "false")
    boolean dryRun;

    private volatile Instant checkedAt = Instant.EPOCH;
    private volatile Optional<String> running = Optional.empty();
    /** Bumped by {@link #recheckNow()}: an answer whose LIST began before it is not kept. */
    private final java.util.concurrent.atomic.AtomicLong asked = new java.util.concurrent.atomic.AtomicLong();

    public boolean dryRun() {
        return dryRun;
    }

    /** Why nothing Spiderpool wrote may be adopted now, or empty when it may. */
    public Optional<String> blocker() {
        if (dryRun) {
            return Optional.of("spinneret.adopt.dry-run=true (the import is only reported)");
        }
        return running();
    }

    /** The next {@link #running()} asks the API server again (Spiderpool was just uninstalled). */
    public synchronized void recheckNow() {
        asked.incrementAndGet();
        checkedAt = Instant.EPOCH;
    }

    /** A running Spiderpool pod (namespace/name), or empty. */
    public Optional<String> running() {
        if (Duration.between(checkedAt, Instant.now()).compareTo(KEEP) < 0) {
            return running;
        }
        long generation = asked.get();
        String[] kv = selector.split("=", 2);
        Optional<String> found = Optional.empty();
        for (Pod p : client.pods().inNamespace(namespace).withLabel(kv[0], kv.length > 1 ? kv[1] : null).list()
                .getItems()) {
            String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
            if (p.getMetadata().getDeletionTimestamp() == null && !"Succeeded".equals(phase)
                    && !"Failed".equals(phase)) {
                found = Optional.of("Spiderpool is still running (pod " + p.getMetadata().getNamespace() + "/"
                        + p.getMetadata().getName() + "): uninstall it first (docs/migrate-from-spiderpool.md)");
                break;
            }
        }
        synchronized (this) {
            if (asked.get() == generation) { // else a recheck was asked for meanwhile: this answer may be stale
                running = found;
                checkedAt = Instant.now();
            }
        }
        return found;
    }
}
