package dev.spinneret.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpRangeSet;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Serialises pool and subnet admission decisions across threads and webhook replicas, so that two overlapping
 * pools created at the same instant cannot both be admitted.
 *
 * <p>The API server runs webhooks concurrently, and a pool admitted a millisecond ago is not yet visible in any
 * list. Each decision therefore (1) reads the claim ConfigMap {@value #CLAIMS}, (2) lists pools and subnets fresh
 * from the API server, (3) checks against both, and (4) records its own footprint in the ConfigMap with a
 * resourceVersion precondition. A concurrent decision on another replica fails step 4 with a conflict, re-reads,
 * and then sees this one. Claims expire after {@link #CLAIM_TTL_MS}; by then the admitted object is either
 * persisted (and listed) or was never created. Dry runs check but never record.
 */
@ApplicationScoped
public class AdmissionGate {
    public static final String CLAIMS = "spinneret-admission-claims";
    static final long CLAIM_TTL_MS = 60_000;
    private static final int MAX_ATTEMPTS = 8;

    private final ReentrantLock lock = new ReentrantLock();

    @Inject
    KubernetesClient client;
    @Inject
    ObjectMapper mapper;
    @ConfigProperty(name = "spinneret.namespace", defaultValue = "spinneret-system")
    String namespace;

    Clock clock = Clock.systemUTC();

    /** A recorded decision, as stored in the ConfigMap. */
    public record Claim(String kind, String name, String cidr, List<String> usable, long at) {
        Footprint footprint(String displayName) {
            Cidr c = Cidr.parse(cidr);
            return new Footprint(kind, displayName, c, IpRangeSet.parse(c.family(), usable));
        }
    }

    public void admit(Footprint mine, boolean dryRun, Supplier<List<Footprint>> freshCluster,
            Function<List<Footprint>, Optional<AdmissionDenied>> check) {
        lock.lock();
        try {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
                long now = clock.millis();
                List<Claim> live = new ArrayList<>();
                for (Claim c : readClaims(cm)) {
                    if (now - c.at() < CLAIM_TTL_MS && !mine.sameObject(c.kind(), c.name())) {
                        live.add(c);
                    }
                }
                List<Footprint> cluster = new ArrayList<>();
                for (Footprint f : freshCluster.get()) {
                    if (!mine.sameObject(f.kind(), f.name())) {
                        cluster.add(f);
                    }
                }
                for (Claim c : live) {
                    boolean persisted = cluster.stream().anyMatch(f -> f.sameObject(c.kind(), c.name()));
                    if (!persisted) {
                        cluster.add(c.footprint(c.name() + " (admitted " + (now - c.at()) / 1000
                                + "s ago, not yet stored)"));
                    }
                }
                Optional<AdmissionDenied> denied = check.apply(cluster);
                if (denied.isPresent()) {
                    throw denied.get();
                }
                if (dryRun) {
                    return;
                }
                live.add(new Claim(mine.kind(), mine.name(), mine.subnet().toString(), mine.usable().toStrings(), now));
                if (writeClaims(cm, live)) {
                    return;
                }
            }
            throw new AdmissionDenied(409, "Conflict", "too many concurrent pool and subnet changes; retry");
        } finally {
            lock.unlock();
        }
    }

    /** Footprints admitted within the claim TTL, stored or not (callers choosing free addresses avoid them). */
    public List<Footprint> recentClaims() {
        ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
        long now = clock.millis();
        List<Footprint> out = new ArrayList<>();
        for (Claim c : readClaims(cm)) {
            if (now - c.at() < CLAIM_TTL_MS) {
                out.add(c.footprint(c.name()));
            }
        }
        return out;
    }

    /**
     * Drops the claim of an object Spinneret itself just deleted, so its addresses can be handed out again at once
     * instead of after the claim TTL. Best effort: a failure only delays reuse.
     */
    public void forget(String kind, String name) {
        lock.lock();
        try {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
                List<Claim> claims = new ArrayList<>(readClaims(cm));
                if (cm == null || !claims.removeIf(c -> c.kind().equals(kind) && c.name().equals(name))) {
                    return;
                }
                if (writeClaims(cm, claims)) {
                    return;
                }
            }
        } catch (RuntimeException e) {
            // the claim expires on its own
        } finally {
            lock.unlock();
        }
    }

    private List<Claim> readClaims(ConfigMap cm) {
        if (cm == null || cm.getData() == null || cm.getData().get("claims") == null) {
            return List.of();
        }
        try {
            return mapper.readValue(cm.getData().get("claims"), new TypeReference<List<Claim>>() {
            });
        } catch (Exception e) {
            return List.of(); // a corrupted claim list only loses the in-flight window; the fresh list still applies
        }
    }

    private boolean writeClaims(ConfigMap current, List<Claim> claims) {
        String json;
        try {
            json = mapper.writeValueAsString(claims);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        try {
            if (current == null) {
                client.configMaps().inNamespace(namespace).resource(new ConfigMapBuilder()
                        .withNewMetadata().withName(CLAIMS).withNamespace(namespace)
                        .addToLabels("app.kubernetes.io/managed-by", "spinneret").endMetadata()
                        .addToData("claims", json).build()).create();
            } else {
                current.getData().put("claims", json);
                // update() sends the resourceVersion we read: a concurrent writer makes this fail with 409
                client.configMaps().inNamespace(namespace).resource(current).update();
            }
            return true;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409) {
                return false;
            }
            throw e;
        }
    }
}
