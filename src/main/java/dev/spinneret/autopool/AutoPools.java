package dev.spinneret.autopool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderIPPoolSpec;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.ReservedAddresses;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.Footprint;
import dev.spinneret.pool.Owner;
import dev.spinneret.pool.PoolSpec;
import dev.spinneret.selection.AutoPoolAnnotations;
import dev.spinneret.selection.AutoPoolSizing;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.PoolSize;
import dev.spinneret.selection.SubnetAnnotations;
import dev.spinneret.selection.SubnetRequest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Automatic pools carved from a SpiderSubnet, one per workload, interface and family. The pod webhook calls
 * {@link #prepare} before reserving: the pool is created or grown right there, synchronously (no pod waits for a
 * reconciler), and {@link AutoPoolReconciler} later shrinks and reclaims.
 *
 * <p>Every change is safe to race. A pool's name is derived from the workload's UID, so two replicas creating it at
 * once collide on the name and the loser re-reads. Its addresses are written as a resourceVersion-conditional
 * update of {@code spec.ips}, and the pool validating webhook — which serialises pool decisions cluster-wide —
 * refuses any address another pool holds; a refused or conflicting write re-reads the cluster and tries again.
 */
@ApplicationScoped
public class AutoPools {
    private static final Logger LOG = Logger.getLogger(AutoPools.class);
    private static final int MAX_ATTEMPTS = 8;

    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    ReservedAddresses reserved;
    @Inject
    Events events;
    @Inject
    MeterRegistry meters;
    @Inject
    AdmissionGate gate;
    @ConfigProperty(name = "spinneret.auto-pool.enabled", defaultValue = "true")
    boolean enabled;
    @ConfigProperty(name = "spinneret.auto-pool.default-ip-number", defaultValue = "+1")
    String defaultIpNumber;

    /** The interface requests of a pod with subnet annotations, naming its automatic pools; plus dry-run notes. */
    public record Prepared(List<InterfaceRequest> requests, Map<String, SpiderIPPool> pools, List<String> notes) {
    }

    public Prepared prepare(Owner app, Map<String, String> podAnnotations, boolean dryRun) {
        List<SubnetRequest> subnets = SubnetAnnotations.requests(podAnnotations);
        String source = podAnnotations.containsKey(IpamAnnotations.SUBNETS) ? IpamAnnotations.SUBNETS
                : IpamAnnotations.SUBNET;
        if (!enabled) {
            throw new ReservationDenied(403, "AutoPoolDisabled", "pod annotation " + source + " asks for an automatic"
                    + " pool, but automatic pools are disabled (spinneret.auto-pool.enabled=false); use "
                    + IpamAnnotations.IPPOOL + " with a SpiderIPPool");
        }
        if (app.kind() == null || "Pod".equals(app.kind()) || app.uid() == null) {
            throw new ReservationDenied(403, "NoWorkload", "pod annotation " + source + ": automatic pools belong to a"
                    + " workload (Deployment, StatefulSet, DaemonSet, Job, CronJob or any controller), and this pod has"
                    + " no controller; use " + IpamAnnotations.IPPOOL + " with a SpiderIPPool for a bare pod");
        }
        PoolSize size = PoolSize.parse(podAnnotations.get(AutoPoolAnnotations.IP_NUMBER), defaultIpNumber);
        boolean reclaim = AutoPoolAnnotations.reclaim(podAnnotations);
        int desired = size.desired(replicas(app), app.toString());
        List<InterfaceRequest> requests = new ArrayList<>();
        Map<String, SpiderIPPool> pools = new HashMap<>();
        List<String> notes = new ArrayList<>();
        for (SubnetRequest r : subnets) {
            List<String> v4 = new ArrayList<>();
            List<String> v6 = new ArrayList<>();
            for (IpFamily family : IpFamily.values()) {
                String subnet = family == IpFamily.V4 ? r.v4Subnet() : r.v6Subnet();
                if (subnet == null) {
                    continue;
                }
                Target t = new Target(app, r.iface(), family, subnet, size, desired, reclaim, source);
                SpiderIPPool pool = ensure(t, dryRun);
                String name = pool != null ? pool.getMetadata().getName()
                        : AutoPoolLabels.poolName(app, family, r.iface());
                if (pool == null) {
                    notes.add("dry run: automatic pool " + name + " would be created from SpiderSubnet " + subnet
                            + " with " + desired + " addresses");
                } else {
                    pools.put(name, pool);
                }
                (family == IpFamily.V4 ? v4 : v6).add(name);
            }
            requests.add(new InterfaceRequest(r.iface(), v4, v6, null, "automatic pool of " + app + " (pod annotation "
                    + source + ")"));
        }
        return new Prepared(requests, pools, notes);
    }

    /** One automatic pool: whose, which interface and family, from which subnet, how big. */
    record Target(Owner app, String iface, IpFamily family, String subnet, PoolSize size, int desired,
            boolean reclaim, String source) {
        String what() {
            return "automatic IPv" + family.number() + " pool of " + app + " for interface " + iface;
        }
    }

    /** The pool, created, adopted or grown to the desired size; null on a dry run when it does not exist yet. */
    SpiderIPPool ensure(Target t, boolean dryRun) {
        SpiderSubnet subnet = client.resources(SpiderSubnet.class).withName(t.subnet()).get();
        AddressSpec subnetSpec = subnetSpec(t, subnet);
        boolean fresh = false;
        String last = "";
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            SpiderIPPool pool = find(t.app(), t.iface(), t.family(), fresh);
            if (pool == null) {
                pool = adoptable(t, fresh);
                if (pool != null && !dryRun) {
                    pool = adopt(pool, t);
                    if (pool == null) {
                        fresh = true;
                        continue;
                    }
                }
            }
            if (pool != null) {
                checkSameSubnet(pool, t);
                if (pool.isMarkedForDeletion()) {
                    throw new ReservationDenied(503, "AutoPoolDeleting", t.what() + ", SpiderIPPool "
                            + name(pool) + ", is being deleted; retry once it is gone");
                }
                IpRangeSet current = usable(pool);
                if (dryRun || current.sizeSaturatedLong() >= t.desired()
                        && t.size().toString().equals(annotation(pool))) {
                    return pool;
                }
                IpRangeSet ips = grown(t, subnetSpec, current, name(pool), fresh);
                try {
                    return update(pool, ips, t);
                } catch (KubernetesClientException e) {
                    fresh = retryable(e, t);
                    last = e.getMessage();
                }
            } else {
                if (dryRun) {
                    return null;
                }
                String name = AutoPoolLabels.poolName(t.app(), t.family(), t.iface());
                IpRangeSet ips = grown(t, subnetSpec, IpRangeSet.empty(t.family()), name, fresh);
                try {
                    SpiderIPPool created = client.resource(newPool(name, t, subnet, ips)).create();
                    count("create");
                    LOG.infof("created SpiderIPPool %s (%s) with %s from SpiderSubnet %s", name, t.what(), ips,
                            t.subnet());
                    events.normal(t.app(), "AutoPoolCreated", "SpiderIPPool " + name + " created from SpiderSubnet "
                            + t.subnet() + " for interface " + t.iface() + " with " + ips.sizeSaturatedLong()
                            + " addresses (" + sizing(t) + "): " + String.join(",", ips.toStrings()));
                    return created;
                } catch (KubernetesClientException e) {
                    fresh = retryable(e, t); // 409 AlreadyExists: another replica created it; read it next round
                    last = e.getMessage();
                }
            }
        }
        throw new ReservationDenied(503, "AutoPoolConflict", t.what() + " could not be sized after " + MAX_ATTEMPTS
                + " attempts (concurrent changes to pools of SpiderSubnet " + t.subnet() + "); retry. Last error: "
                + last);
    }

    private AddressSpec subnetSpec(Target t, SpiderSubnet subnet) {
        String where = "pod annotation " + t.source() + " names SpiderSubnet " + t.subnet();
        if (subnet == null || subnet.getSpec() == null) {
            throw new ReservationDenied(403, "NoSubnet", where + ", which does not exist");
        }
        if (subnet.isMarkedForDeletion()) {
            throw new ReservationDenied(403, "NoSubnet", where + ", which is being deleted");
        }
        AddressSpec spec = PoolSpec.complete(subnet.getSpec());
        if (spec.family() != t.family()) {
            throw new ReservationDenied(403, "NoSubnet", where + " under ipv" + t.family().number() + ", but it is an"
                    + " IPv" + spec.family().number() + " subnet");
        }
        return spec;
    }

    /** The addresses of a pool grown to the target size, or a denial saying how many the subnet lacks. */
    private IpRangeSet grown(Target t, AddressSpec subnet, IpRangeSet current, String poolName, boolean fresh) {
        IpRangeSet free = subnetFree(subnet, poolName, fresh);
        return AutoPoolSizing.grow(current, free, t.desired()).orElseThrow(() -> new ReservationDenied(403,
                "SubnetExhausted", t.what() + " needs " + t.desired() + " addresses (" + sizing(t) + "), it has "
                        + current.sizeSaturatedLong() + " and SpiderSubnet " + t.subnet() + " has only "
                        + free.minus(current).sizeSaturatedLong() + " free; add addresses to the subnet or lower "
                        + AutoPoolAnnotations.IP_NUMBER));
    }

    private static String sizing(Target t) {
        return t.size().flexible() ? "replicas " + (t.desired() - t.size().n()) + " + " + t.size().n()
                : "fixed by " + AutoPoolAnnotations.IP_NUMBER + " \"" + t.size() + "\"";
    }

    /** The subnet's usable addresses that no other pool, reserved IP or gateway takes. */
    private IpRangeSet subnetFree(AddressSpec subnet, String except, boolean fresh) {
        IpRangeSet free = subnet.usable().minus(reserved.of(subnet.family()));
        if (subnet.gateway() != null) {
            free = free.minus(IpRangeSet.ofAddresses(subnet.family(), List.of(subnet.gateway())));
        }
        if (fresh) {
            // pools (or changes to them) admitted moments ago and not stored yet; stored ones are listed below
            for (Footprint f : gate.recentClaims()) {
                if (f.kind().equals("SpiderIPPool") && !except.equals(f.name()) && f.subnet().equals(subnet.subnet())) {
                    free = free.minus(f.usable());
                }
            }
        }
        List<SpiderIPPool> all = fresh ? client.resources(SpiderIPPool.class).list().getItems() : cache.pools();
        for (SpiderIPPool p : all) {
            if (p.getSpec() == null || !subnet.subnet().toString().equals(p.getSpec().subnet)
                    || except.equals(name(p))) {
                continue;
            }
            try {
                free = free.minus(usable(p));
            } catch (RuntimeException e) {
                // an unreadable pool cannot have been admitted; ignore it
            }
        }
        return free;
    }

    /** The workload's pool for this interface and family (by UID); a fresh list when the cache has none yet. */
    private SpiderIPPool find(Owner app, String iface, IpFamily family, boolean fresh) {
        Map<String, String> want = Map.of(AutoPoolLabels.UID, AutoPoolLabels.labelValue(app.uid()),
                AutoPoolLabels.INTERFACE, AutoPoolLabels.labelValue(iface), AutoPoolLabels.IP_VERSION,
                "IPv" + family.number());
        Optional<SpiderIPPool> hit = fresh ? Optional.empty() : cache.pools().stream().filter(p -> has(p, want))
                .findFirst();
        if (hit.isPresent()) {
            return hit.get();
        }
        return client.resources(SpiderIPPool.class).withLabels(want).list().getItems().stream().findFirst()
                .orElse(null);
    }

    /** A pool kept by an earlier workload of the same kind, namespace and name with reclaim=false. */
    private SpiderIPPool adoptable(Target t, boolean fresh) {
        Map<String, String> want = Map.of(AutoPoolLabels.KIND, AutoPoolLabels.labelValue(t.app().kind()),
                AutoPoolLabels.NAMESPACE, AutoPoolLabels.labelValue(t.app().namespace()), AutoPoolLabels.NAME,
                AutoPoolLabels.labelValue(t.app().name()), AutoPoolLabels.INTERFACE,
                AutoPoolLabels.labelValue(t.iface()), AutoPoolLabels.IP_VERSION, "IPv" + t.family().number(),
                AutoPoolLabels.RECLAIM, "false");
        List<SpiderIPPool> candidates = fresh ? client.resources(SpiderIPPool.class).withLabels(want).list().getItems()
                : cache.pools().stream().filter(p -> has(p, want)).toList();
        String key = AutoPoolLabels.applicationKey(t.app());
        return candidates.stream().filter(p -> !p.isMarkedForDeletion())
                .filter(p -> key.equals(p.getMetadata().getAnnotations() == null ? null
                        : p.getMetadata().getAnnotations().get(AutoPoolLabels.APPLICATION)))
                .findFirst().orElse(null);
    }

    /** Takes over a kept pool: the UID label now names the new workload. Null when someone else changed it first. */
    private SpiderIPPool adopt(SpiderIPPool pool, Target t) {
        SpiderIPPool copy = client.getKubernetesSerialization().clone(pool);
        copy.getMetadata().getLabels().putAll(AutoPoolLabels.poolLabels(t.app(), t.subnet(), t.family(), t.iface(),
                t.reclaim()));
        String subnet = label(pool, SpiderApi.LABEL_OWNER_SUBNET);
        if (subnet != null) {
            copy.getMetadata().getLabels().put(SpiderApi.LABEL_OWNER_SUBNET, subnet); // a change is refused below
        }
        try {
            SpiderIPPool adopted = client.resource(copy).update(); // conditional on the resourceVersion read
            count("adopt");
            events.normal(t.app(), "AutoPoolAdopted", "SpiderIPPool " + name(pool) + " (kept by an earlier "
                    + t.app().kind() + " of this name with " + AutoPoolAnnotations.RECLAIM + "=false) serves this one");
            LOG.infof("%s adopted SpiderIPPool %s (kept with %s=false by an earlier %s of that name)", t.app(),
                    name(pool), AutoPoolAnnotations.RECLAIM, t.app().kind());
            return adopted;
        } catch (KubernetesClientException e) {
            if (e.getCode() == 409 || e.getCode() == 404) {
                return null;
            }
            throw new ReservationDenied(503, "ApiServer", "could not adopt SpiderIPPool " + name(pool) + ": "
                    + e.getMessage());
        }
    }

    private void checkSameSubnet(SpiderIPPool pool, Target t) {
        String had = label(pool, SpiderApi.LABEL_OWNER_SUBNET);
        if (had != null && !had.equals(t.subnet())) {
            String msg = t.app() + " has automatic pool " + name(pool) + " from SpiderSubnet " + had + ", but its pod"
                    + " template now names SpiderSubnet " + t.subnet() + " (pod annotation " + t.source() + "); an"
                    + " application's subnet cannot change: restore it, or delete the workload (its pool is"
                    + " reclaimed) and create it again with the new subnet";
            events.warning(t.app(), "ApplicationSubnetChanged", msg);
            throw new ReservationDenied(403, "SubnetChanged", msg);
        }
    }

    private SpiderIPPool update(SpiderIPPool pool, IpRangeSet ips, Target t) {
        SpiderIPPool copy = client.getKubernetesSerialization().clone(pool);
        copy.getSpec().ips = new ArrayList<>(ips.toStrings());
        copy.getSpec().excludeIPs = null;
        if (copy.getMetadata().getAnnotations() == null) {
            copy.getMetadata().setAnnotations(new HashMap<>());
        }
        copy.getMetadata().getAnnotations().put(AutoPoolAnnotations.IP_NUMBER, t.size().toString());
        SpiderIPPool updated = client.resource(copy).update(); // resourceVersion-conditional
        count("grow");
        LOG.infof("SpiderIPPool %s (%s) now has %d addresses (%s)", name(pool), t.what(), ips.sizeSaturatedLong(),
                sizing(t));
        events.normal(t.app(), "AutoPoolResized", "SpiderIPPool " + name(pool) + " grew to "
                + ips.sizeSaturatedLong() + " addresses (" + sizing(t) + ")");
        return updated;
    }

    /** 409 (conflict, already exists) and a refusal by the pool webhook (another pool took an address) are retried. */
    private boolean retryable(KubernetesClientException e, Target t) {
        if (e.getCode() == 409 || e.getCode() == 400 || e.getCode() == 403 || e.getCode() == 422) {
            LOG.debugf("%s: %s; retrying with a fresh view", t.what(), e.getMessage());
            return true;
        }
        throw new ReservationDenied(503, "ApiServer", t.what() + " could not be written: " + e.getMessage());
    }

    private SpiderIPPool newPool(String name, Target t, SpiderSubnet subnet, IpRangeSet ips) {
        SpiderIPPool p = new SpiderIPPool();
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put(AutoPoolAnnotations.IP_NUMBER, t.size().toString());
        annotations.put(AutoPoolLabels.APPLICATION, AutoPoolLabels.applicationKey(t.app()));
        p.setMetadata(new ObjectMetaBuilder().withName(name)
                .withLabels(AutoPoolLabels.poolLabels(t.app(), t.subnet(), t.family(), t.iface(), t.reclaim()))
                .withAnnotations(annotations).build());
        SpiderIPPoolSpec s = new SpiderIPPoolSpec();
        s.ipVersion = (long) t.family().number();
        s.subnet = subnet.getSpec().subnet;
        s.ips = new ArrayList<>(ips.toStrings());
        s.gateway = subnet.getSpec().gateway;
        s.routes = subnet.getSpec().routes == null ? null : new ArrayList<>(subnet.getSpec().routes);
        s.podAffinity = new LabelSelectorBuilder().withMatchLabels(AutoPoolLabels.affinity(t.app())).build();
        p.setSpec(s);
        return p;
    }

    /** The workload's replica count, read fresh (a scale-up must be seen by the pods it creates). */
    OptionalInt replicas(Owner app) {
        try {
            GenericKubernetesResource w = client.genericKubernetesResources(app.apiVersion(), app.kind())
                    .inNamespace(app.namespace()).withName(app.name()).get();
            if (w == null) {
                return OptionalInt.empty();
            }
            JsonNode json = client.getKubernetesSerialization().convertValue(w, JsonNode.class);
            return WorkloadScale.replicas(app.apiVersion(), app.kind(), json);
        } catch (KubernetesClientException | IllegalArgumentException e) {
            return OptionalInt.empty();
        }
    }

    static IpRangeSet usable(SpiderIPPool p) {
        return PoolSpec.addresses(p).usable();
    }

    static String annotation(SpiderIPPool p) {
        return p.getMetadata().getAnnotations() == null ? null
                : p.getMetadata().getAnnotations().get(AutoPoolAnnotations.IP_NUMBER);
    }

    static String label(SpiderIPPool p, String key) {
        return p.getMetadata().getLabels() == null ? null : p.getMetadata().getLabels().get(key);
    }

    private static boolean has(SpiderIPPool p, Map<String, String> labels) {
        Map<String, String> l = p.getMetadata().getLabels();
        return l != null && labels.entrySet().stream().allMatch(e -> Objects.equals(l.get(e.getKey()), e.getValue()));
    }

    private static String name(SpiderIPPool p) {
        return p.getMetadata().getName();
    }

    void count(String action) {
        Counter.builder("spinneret.autopool.changes").tag("action", action).register(meters).increment();
    }
}
