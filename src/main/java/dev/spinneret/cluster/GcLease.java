package dev.spinneret.cluster;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.UUID;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The Lease {@code spinneret-gc}: which replica does the work only one may do (releases, sweeps, finalizers, pool
 * counts, late reservations). Lease 15 s, renew deadline 10 s, retry 2 s, released when this process stops. With
 * {@code spinneret.gc.leader-election=false} this process leads from {@link #start} on.
 */
@ApplicationScoped
public class GcLease {
    private static final Logger LOG = Logger.getLogger(GcLease.class);

    @Inject
    KubernetesClient client;
    @ConfigProperty(name = "spinneret.namespace", defaultValue = "spinneret-system")
    String namespace;
    @ConfigProperty(name = "spinneret.gc.leader-election", defaultValue = "true")
    boolean leaderElection;

    private volatile boolean leader;

    /** Whether this process holds the lease now. */
    public boolean isLeader() {
        return leader;
    }

    /**
     * Starts competing for the lease: {@code gained} runs each time this process becomes the holder, {@code lost}
     * each time it stops being one (on the elector's thread; either must not block).
     */
    public void start(Runnable gained, Runnable lost) {
        if (!leaderElection) {
            leader = true;
            gained.run();
            return;
        }
        // unique per process: in a container the pid is always 1, so a restarted container with "<pod>-1" would look
        // like the old holder renewing its lease (no transition, and a lease held across a restart it never saw)
        String identity = System.getenv().getOrDefault("HOSTNAME", "spinneret") + "-" + ProcessHandle.current().pid()
                + "-" + UUID.randomUUID().toString().substring(0, 8);
        client.leaderElector().withConfig(new LeaderElectionConfigBuilder().withName("spinneret-gc")
                .withLock(new LeaseLock(namespace, "spinneret-gc", identity))
                .withLeaseDuration(Duration.ofSeconds(15)).withRenewDeadline(Duration.ofSeconds(10))
                .withRetryPeriod(Duration.ofSeconds(2)).withReleaseOnCancel(true)
                .withLeaderCallbacks(new LeaderCallbacks(() -> {
                    LOG.infof("%s leads garbage collection", identity);
                    leader = true;
                    gained.run();
                }, () -> {
                    leader = false;
                    lost.run();
                }, newLeader -> {
                })).build()).build().start();
    }
}
