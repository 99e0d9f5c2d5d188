package dev.spinneret.cluster;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.Footprint;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
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
 * and then sees this one. Dry runs check but never record.
 *
 * <p>A claim only matters until its object is stored: from then on the fresh list shows it. Each claim names the
 * object's UID and generation (from the admission request), so a claim is dropped as soon as the object is known to
 * be stored with that spec — listed, or seen by this replica's pool informer — or known to be gone: stored and
 * since deleted, or its name taken by another object. Deleting a pool also forgets its claim. Only a claim whose
 * object has not been seen stored stays in force, for at most {@link #CLAIM_TTL_MS} (an admitted object that a
 * later admission step refused is never stored).
 */
@ApplicationScoped
public class AdmissionGate {
    public static final String CLAIMS = "spinneret-admission-claims";
    static final long CLAIM_TTL_MS = 60_000;
    private static final int MAX_ATTEMPTS = 8;

    private final ReentrantLock lock = new ReentrantLock();
    /** UID → the highest generation seen stored (pool informer, fresh lists), with when it was last seen. */
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    @Inject
    KubernetesClient client;
    @Inject
    ObjectMapper mapper;
    @ConfigProperty(name = "spinneret.namespace", defaultValue = "spinneret-system")
    String namespace;

    Clock clock = Clock.systemUTC();

    /** A recorded decision, as stored in the ConfigMap; {@code uid} and {@code generation} are null in old claims. */
    public record Claim(String kind, String name, String cidr, List<String> usable, long at, String uid,
            Long generation) {
        Footprint footprint(String displayName) {
            Cidr c = Cidr.parse(cidr);
            return new Footprint(kind, displayName, c, IpRangeSet.parse(c.family(), usable), uid, generation);
        }
    }

    record Seen(long generation, long at) {
    }

    /** What a claim still means, judged from a fresh list and what this replica has seen stored. */
    enum Fate {
        /** the object has not been seen stored with this spec: the claim still protects its addresses */
        IN_FORCE,
        /** stored with this spec: the fresh list shows it, the claim adds nothing */
        STORED,
        /** stored and since deleted, or its name now belongs to another object */
        GONE,
        /** older than the TTL */
        EXPIRED
    }

    /**
     * Pure: the fate of {@code c} at {@code now}, given the objects listed fresh (null: no list at hand) and the
     * generations seen stored before that list was read.
     */
    static Fate fate(Claim c, List<Footprint> listed, Map<String, Seen> seenBeforeList, long now) {
        if (now - c.at() >= CLAIM_TTL_MS) {
            return Fate.EXPIRED;
        }
        Footprint same = listed == null ? null
                : listed.stream().filter(f -> f.sameObject(c.kind(), c.name())).findFirst().orElse(null);
        Seen s = c.uid() == null ? null : seenBeforeList.get(c.uid());
        if (same != null) {
            if (c.uid() == null || same.uid() == null) {
                return Fate.STORED; // a claim without identity: the name is all we can match
            }
            if (!c.uid().equals(same.uid())) {
                return Fate.GONE;
            }
            return c.generation() == null || same.generation() == null || same.generation() >= c.generation()
                    ? Fate.STORED : Fate.IN_FORCE;
        }
        if (s != null) {
            if (listed != null) {
                return Fate.GONE; // seen stored before the list was read, not listed now: deleted (UIDs are unique)
            }
            return c.generation() == null || s.generation() >= c.generation() ? Fate.STORED : Fate.IN_FORCE;
        }
        return Fate.IN_FORCE;
    }

    /** Records that an object was stored with this generation (the pool informer and fresh lists call this). */
    public void observed(String uid, Long generation) {
        if (uid == null) {
            return;
        }
        long now = clock.millis();
        long g = generation == null ? 0 : generation;
        seen.merge(uid, new Seen(g, now), (a, b) -> new Seen(Math.max(a.generation(), b.generation()), now));
        if (seen.size() > 4096) {
            seen.values().removeIf(x -> now - x.at() > CLAIM_TTL_MS);
        }
    }

    /** Feeds this gate from the pool informer: stored pools resolve their claims, deleted ones forget theirs. */
    public void watch(ClusterCache cache) {
        cache.onPools(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderIPPool p) {
                observed(p.getMetadata().getUid(), p.getMetadata().getGeneration());
            }

            @Override
            public void onUpdate(SpiderIPPool old, SpiderIPPool p) {
                observed(p.getMetadata().getUid(), p.getMetadata().getGeneration());
            }

            @Override
            public void onDelete(SpiderIPPool p, boolean finalStateUnknown) {
                observed(p.getMetadata().getUid(), p.getMetadata().getGeneration());
                String name = p.getMetadata().getName();
                String uid = p.getMetadata().getUid();
                CompletableFuture.runAsync(() -> forget("SpiderIPPool", name, uid)); // off the informer's thread
            }
        });
    }

    public void admit(Footprint mine, boolean dryRun, Supplier<List<Footprint>> freshCluster,
            Function<List<Footprint>, Optional<AdmissionDenied>> check) {
        lock.lock();
        try {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
                Map<String, Seen> seenBefore = Map.copyOf(seen);
                List<Footprint> listed = freshCluster.get();
                long now = clock.millis();
                List<Footprint> cluster = new ArrayList<>();
                for (Footprint f : listed) {
                    observed(f.uid(), f.generation());
                    if (!mine.sameObject(f.kind(), f.name())) {
                        cluster.add(f);
                    }
                }
                List<Claim> live = new ArrayList<>();
                for (Claim c : readClaims(cm)) {
                    if (mine.sameObject(c.kind(), c.name()) || fate(c, listed, seenBefore, now) != Fate.IN_FORCE) {
                        continue;
                    }
                    live.add(c);
                    cluster.add(c.footprint(c.name() + " (" + waitingFor(c, listed, now) + ")"));
                }
                Optional<AdmissionDenied> denied = check.apply(cluster);
                if (denied.isPresent()) {
                    throw denied.get();
                }
                if (dryRun) {
                    return;
                }
                live.add(new Claim(mine.kind(), mine.name(), mine.subnet().toString(), mine.usable().toStrings(), now,
                        mine.uid(), mine.generation()));
                if (writeClaims(cm, live)) {
                    return;
                }
            }
            throw new AdmissionDenied(409, "Conflict", "too many concurrent pool and subnet changes; retry");
        } finally {
            lock.unlock();
        }
    }

    /** What a claim in force is waiting for, in words: it is shown in denials. */
    static String waitingFor(Claim c, List<Footprint> listed, long now) {
        long age = (now - c.at()) / 1000;
        long left = Math.max(1, (CLAIM_TTL_MS - (now - c.at()) + 999) / 1000);
        boolean update = listed.stream().anyMatch(f -> f.sameObject(c.kind(), c.name()));
        return (update ? "a change admitted " : "admitted ") + age + "s ago, not yet stored; its addresses stay"
                + " claimed until it is stored, at most " + left + "s more";
    }

    /**
     * Footprints admitted moments ago whose objects have not been seen stored with that spec (callers choosing free
     * addresses avoid them; they list stored pools themselves, after this call).
     */
    public List<Footprint> recentClaims() {
        ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
        Map<String, Seen> seenBefore = Map.copyOf(seen);
        long now = clock.millis();
        List<Footprint> out = new ArrayList<>();
        for (Claim c : readClaims(cm)) {
            if (fate(c, null, seenBefore, now) == Fate.IN_FORCE) {
                out.add(c.footprint(c.name()));
            }
        }
        return out;
    }

    /**
     * Drops the claim of an object that is stored (being deleted, or deleted), so its addresses can be handed out
     * again at once. {@code uid} null drops any claim of that name. Best effort: a failure only delays reuse.
     */
    public void forget(String kind, String name, String uid) {
        lock.lock();
        try {
            for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
                ConfigMap cm = client.configMaps().inNamespace(namespace).withName(CLAIMS).get();
                List<Claim> claims = new ArrayList<>(readClaims(cm));
                if (cm == null || !claims.removeIf(c -> c.kind().equals(kind) && c.name().equals(name)
                        && (uid == null || c.uid() == null || uid.equals(c.uid())))) {
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
