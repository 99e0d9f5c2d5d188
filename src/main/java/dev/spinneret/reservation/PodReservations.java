package dev.spinneret.reservation;

import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.Route;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.Cidr;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ledger.LedgerOutcome;
import dev.spinneret.ledger.PoolCounts;
import dev.spinneret.ledger.PoolLedgerWriter;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.Owner;
import dev.spinneret.pool.PoolSpec;
import dev.spinneret.pool.ReservationAnnotation;
import dev.spinneret.selection.Candidates;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.PodFacts;
import dev.spinneret.selection.PodRoutes;
import dev.spinneret.selection.PoolFacts;
import dev.spinneret.selection.PoolSelection;
import dev.spinneret.selection.StaticAddress;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Reserves every interface and family of one pod, all or nothing: candidates are tried in order (a full pool falls
 * through to the next), and if any interface cannot be served, what was already reserved is released before the
 * denial. The reservation is in the pools' ledgers — in the API server — before this returns.
 */
@ApplicationScoped
public class PodReservations {
    private static final Logger LOG = Logger.getLogger(PodReservations.class);

    @Inject
    PoolLedgerWriter writer;
    @Inject
    PoolCounts counts;
    @Inject
    ClusterCache cache;
    @Inject
    KubernetesClient client;
    @Inject
    MeterRegistry meters;
    @ConfigProperty(name = "spinneret.reservation.timeout-ms", defaultValue = "8000")
    long timeoutMs;

    /** Where one interface's addresses were before (a StatefulSet pod being recreated): pool and address per family. */
    public record Prior(String v4Pool, IpAddress v4, String v6Pool, IpAddress v6) {
    }

    /** One family of one interface: the pool and address it got. */
    public record Slot(String iface, IpFamily family, String pool, IpAddress address, SpiderIPPool poolObject) {
    }

    public List<Slot> reserve(String reservationId, String holder, List<InterfaceRequest> requests, PodFacts pod,
            Map<String, Prior> prior, boolean dryRun) {
        return reserve(reservationId, holder, requests, pod, prior, dryRun, Map.of());
    }

    /**
     * @param holder the pod ({@code namespace/name}) the reservation is bound to in the ledger
     * @param justWritten pools this request created or changed, newer than the informer's copies
     */
    public List<Slot> reserve(String reservationId, String holder, List<InterfaceRequest> requests, PodFacts pod,
            Map<String, Prior> prior, boolean dryRun, Map<String, SpiderIPPool> justWritten) {
        Map<String, PoolFacts> facts = new HashMap<>();
        for (SpiderIPPool p : cache.pools()) {
            PoolFactsMapper.facts(p).ifPresent(f -> facts.put(f.name(), f));
        }
        for (SpiderIPPool p : justWritten.values()) {
            PoolFactsMapper.facts(p).ifPresent(f -> facts.put(f.name(), f));
        }
        for (SpiderIPPool p : UnseenPools.read(requests, facts.keySet(),
                this::readPool)) {
            PoolFactsMapper.facts(p).ifPresent(f -> facts.put(f.name(), f));
        }
        List<Slot> done = new ArrayList<>();
        PodFacts scoped = pod;
        try {
            for (InterfaceRequest r : requests) {
                Prior before = prior.get(r.iface());
                for (IpFamily family : List.of(IpFamily.V4, IpFamily.V6)) {
                    boolean v4 = family == IpFamily.V4;
                    if (v4 ? !r.wantsV4() : !r.wantsV6()) {
                        continue;
                    }
                    Slot s = one(reservationId, holder, r, family, v4 ? r.ipv4() : r.ipv6(), facts, scoped, done,
                            before == null ? null : v4 ? before.v4Pool() : before.v6Pool(),
                            before == null ? null : v4 ? before.v4() : before.v6(), dryRun);
                    done.add(s);
                    // a node-bound pool narrows where the pod may run, for the interfaces and families still to come
                    scoped = scoped.withNodes(scoped.nodes().narrowedTo(facts.get(s.pool())));
                }
            }
            return done;
        } catch (RuntimeException e) {
            if (!dryRun) {
                rollback(reservationId, holder, done);
            }
            throw e;
        }
    }

    /** The pool as the API server has it, or null when it is absent or cannot be read now (then refused as unknown). */
    private SpiderIPPool readPool(String name) {
        try {
            return client.resources(SpiderIPPool.class).withName(name).get();
        } catch (KubernetesClientException e) {
            LOG.debugf("SpiderIPPool %s not in the cache and not readable: %s", name, e.getMessage());
            return null;
        }
    }

    private Slot one(String id, String holder, InterfaceRequest r, IpFamily family, List<String> names, Map<String, PoolFacts> facts,
            PodFacts pod, List<Slot> taken, String priorPool, IpAddress priorAddress, boolean dryRun) {
        Candidates c = PoolSelection.candidates(names, family, facts, pod, this::free, priorPool);
        StaticAddress wanted = r.ips().stream().filter(a -> a.address().family() == family).findFirst().orElse(null);
        if (wanted != null) {
            return staticAddress(id, holder, r, family, wanted, c, taken, dryRun);
        }
        List<String> pools = new ArrayList<>(c.pools());
        List<String> rejected = new ArrayList<>(c.rejected());
        Set<String> usedByOtherInterfaces = new HashSet<>();
        taken.forEach(s -> usedByOtherInterfaces.add(s.pool()));
        pools.removeIf(p -> {
            if (usedByOtherInterfaces.contains(p)) {
                rejected.add(p + ": it already serves another interface of this pod");
                return true;
            }
            return false;
        });
        String what = "IPv" + family.number() + " address for interface " + r.iface() + " (pools from " + r.source()
                + ": " + names + ")";
        if (priorPool != null && !dryRun && !pools.contains(priorPool)) {
            // the pod's pool annotation changed since this StatefulSet ordinal got its address: give the old one back
            await(writer.release(priorPool, id, holder), "release of the previous address in " + priorPool);
        }
        if (priorPool != null && pools.remove(priorPool)) {
            pools.add(0, priorPool);
        }
        if (pools.isEmpty()) {
            throw new ReservationDenied(403, "NoCandidate", "no pool can provide an " + what + ": "
                    + String.join("; ", rejected));
        }
        List<String> full = new ArrayList<>();
        for (String pool : pools) {
            LedgerOutcome o;
            if (dryRun) {
                SpiderIPPool cached = cache.pool(pool).orElse(null);
                o = cached == null ? new LedgerOutcome.Unavailable(pool, "no such SpiderIPPool")
                        : writer.preview(cached, id, holder);
            } else {
                IpAddress preferred = pool.equals(priorPool) ? priorAddress : null;
                o = await(writer.reserve(pool, id, holder, preferred), "reservation in SpiderIPPool " + pool);
            }
            if (o instanceof LedgerOutcome.Reserved res) {
                return new Slot(r.iface(), family, pool, res.address(), res.pool());
            } else if (o instanceof LedgerOutcome.Exhausted ex) {
                full.add("SpiderIPPool " + ex.pool() + " is exhausted (" + ex.allocated() + " of " + ex.total()
                        + " addresses allocated)");
            } else if (o instanceof LedgerOutcome.Unavailable u) {
                full.add("SpiderIPPool " + u.pool() + " cannot allocate: " + u.reason());
            }
        }
        List<String> all = new ArrayList<>(full);
        all.addAll(rejected);
        throw new ReservationDenied(403, "Exhausted", "no free " + what + ": " + String.join("; ", all));
    }

    /**
     * An address the pod asks for by value (Multus' {@code ips}): granted only from one of the interface's candidate
     * pools that contains it, and only while it is free; refused saying why otherwise. Never falls back to another
     * address.
     */
    private Slot staticAddress(String id, String holder, InterfaceRequest r, IpFamily family, StaticAddress wanted, Candidates c,
            List<Slot> taken, boolean dryRun) {
        String what = "address " + wanted.text() + " asked for on interface " + r.iface() + " (network selection"
                + " \"ips\"; pools from " + r.source() + ": " + (family == IpFamily.V4 ? r.ipv4() : r.ipv6()) + ")";
        List<String> outside = new ArrayList<>(c.rejected());
        for (String pool : c.pools()) {
            SpiderIPPool p = cache.pool(pool).orElse(null);
            AddressSpec spec = p == null ? null : specOf(p);
            if (spec == null || !spec.usable().contains(wanted.address())) {
                outside.add(pool + (spec == null ? ": its spec is unreadable" : ": its usable addresses ("
                        + spec.usable() + ") do not include it"));
                continue;
            }
            if (wanted.prefixLength() != null && wanted.prefixLength() != spec.subnet().prefixLength()) {
                throw new ReservationDenied(403, "BadStaticIP", "cannot grant " + what + ": SpiderIPPool " + pool
                        + " has subnet " + spec.subnet() + ", so the interface would get prefix length "
                        + spec.subnet().prefixLength() + ", not " + wanted.prefixLength());
            }
            if (taken.stream().anyMatch(s -> s.pool().equals(pool))) {
                throw new ReservationDenied(403, "BadStaticIP", "cannot grant " + what + ": SpiderIPPool " + pool
                        + " already serves another interface of this pod");
            }
            LedgerOutcome o = dryRun ? writer.preview(p, id, holder, wanted.address())
                    : await(writer.reserveExactly(pool, id, holder, wanted.address()), "reservation in SpiderIPPool " + pool);
            if (o instanceof LedgerOutcome.Reserved res) {
                return new Slot(r.iface(), family, pool, res.address(), res.pool());
            }
            String why = o instanceof LedgerOutcome.Unavailable u ? u.reason()
                    : o instanceof LedgerOutcome.Exhausted ? "it is exhausted" : o.toString();
            throw new ReservationDenied(403, "BadStaticIP", "cannot grant " + what + ": SpiderIPPool " + pool + ": "
                    + why);
        }
        throw new ReservationDenied(403, "BadStaticIP", "cannot grant " + what + ": it lies in none of the"
                + " interface's usable pools: " + String.join("; ", outside));
    }

    /** Free addresses of a pool, from this replica's view of its ledger: orders node-bound candidates. */
    private long free(String pool) {
        return cache.pool(pool).map(counts::free).orElse(0L);
    }

    private static AddressSpec specOf(SpiderIPPool p) {
        try {
            return PoolSpec.handingOut(p);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private LedgerOutcome await(CompletableFuture<LedgerOutcome> f, String what) {
        try {
            return f.get(timeoutMs, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new ReservationDenied(503, "Timeout", what + " did not complete within " + timeoutMs
                    + " ms; retry (anything reserved is released by the garbage collector)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ReservationDenied(503, "Timeout", what + " was interrupted; retry");
        } catch (ExecutionException e) {
            throw new ReservationDenied(503, "ApiServer", what + " failed: " + e.getCause().getMessage());
        }
    }

    /** Gives back what a failed multi-interface reservation already took (all or nothing). */
    public void rollback(String id, String holder, List<Slot> slots) {
        List<CompletableFuture<LedgerOutcome>> releases = new ArrayList<>();
        for (Slot s : slots) {
            releases.add(writer.release(s.pool(), id, holder));
        }
        for (CompletableFuture<LedgerOutcome> f : releases) {
            try {
                f.get(timeoutMs, TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                LOG.warnf("rollback of reservation %s did not complete (%s); the garbage collector will release it",
                        id, e.getMessage());
            }
        }
    }

    /** Interface → the subnets of the pools its addresses came from, in the order reserved. */
    public static Map<String, List<Cidr>> subnets(List<Slot> slots) {
        Map<String, List<Cidr>> out = new LinkedHashMap<>();
        for (Slot s : slots) {
            out.computeIfAbsent(s.iface(), k -> new ArrayList<>()).add(Cidr.parse(s.poolObject().getSpec().subnet));
        }
        return out;
    }

    /** Interface → the destinations its pools' {@code spec.routes} already route. */
    public static Map<String, Set<Cidr>> poolRouteDestinations(List<Slot> slots) {
        Map<String, Set<Cidr>> out = new HashMap<>();
        for (Slot s : slots) {
            var routes = s.poolObject().getSpec().routes;
            for (Route r : routes == null ? List.<Route>of() : routes) {
                try {
                    out.computeIfAbsent(s.iface(), k -> new HashSet<>()).add(Cidr.parse(r.dst.trim()));
                } catch (RuntimeException e) {
                    // a pool's routes were checked when it was admitted; one that is not a CIDR routes nothing
                }
            }
        }
        return out;
    }

    /** The {@code ipam.spidernet.io/reserved-ips} annotation for the reservation {@code slots} make. */
    public static ReservationAnnotation annotation(String id, Owner owner, List<InterfaceRequest> requests,
            List<Slot> slots) {
        return annotation(id, owner, requests, slots, Map.of());
    }

    /** As {@link #annotation(String, Owner, List, List)}, with the pod's own routes per interface after its pools'. */
    public static ReservationAnnotation annotation(String id, Owner owner, List<InterfaceRequest> requests,
            List<Slot> slots, Map<String, List<PodRoutes.Route>> podRoutes) {
        // which blocks hold the addresses: the CNI plugin reads the ledger entry of each (docs/cni.md)
        Map<String, String> uids = new LinkedHashMap<>();
        for (Slot s : slots) {
            uids.put(s.pool(), s.poolObject().getMetadata().getUid());
        }
        return new ReservationAnnotation(id, ReservationAnnotation.OwnerRef.of(owner),
                details(requests, slots, podRoutes), uids);
    }

    public static List<IPAllocationDetail> details(List<InterfaceRequest> requests, List<Slot> slots) {
        return details(requests, slots, Map.of());
    }

    /** Each interface's addresses, gateways and routes: its pools' routes, then the pod's own for it. */
    public static List<IPAllocationDetail> details(List<InterfaceRequest> requests, List<Slot> slots,
            Map<String, List<PodRoutes.Route>> podRoutes) {
        List<IPAllocationDetail> out = new ArrayList<>();
        for (InterfaceRequest r : requests) {
            IPAllocationDetail d = new IPAllocationDetail();
            d.iface = r.iface();
            d.vlan = 0;
            d.cleanGateway = Boolean.TRUE.equals(r.cleanGateway());
            List<Route> routes = new ArrayList<>();
            for (Slot s : slots) {
                if (!s.iface().equals(r.iface())) {
                    continue;
                }
                var spec = s.poolObject().getSpec();
                String cidr = s.address() + "/" + Cidr.parse(spec.subnet).prefixLength();
                if (s.family() == IpFamily.V4) {
                    d.ipv4 = cidr;
                    d.ipv4Pool = s.pool();
                    d.ipv4Gateway = spec.gateway;
                } else {
                    d.ipv6 = cidr;
                    d.ipv6Pool = s.pool();
                    d.ipv6Gateway = spec.gateway;
                }
                if (spec.routes != null) {
                    routes.addAll(spec.routes);
                }
            }
            for (PodRoutes.Route own : podRoutes.getOrDefault(r.iface(), List.of())) {
                routes.add(new Route(own.dst().toString(), own.gw().toString()));
            }
            d.routes = routes;
            out.add(d);
        }
        return out;
    }

    /** Prior addresses recorded on a StatefulSet pod's SpiderEndpoint, by interface. */
    public static Map<String, Prior> prior(SpiderEndpoint se) {
        Map<String, Prior> out = new HashMap<>();
        if (se == null || se.getStatus() == null || se.getStatus().current == null
                || se.getStatus().current.ips == null) {
            return out;
        }
        for (IPAllocationDetail d : se.getStatus().current.ips) {
            out.put(d.iface, new Prior(d.ipv4Pool, addr(d.ipv4), d.ipv6Pool, addr(d.ipv6)));
        }
        return out;
    }

    private static IpAddress addr(String cidr) {
        if (cidr == null) {
            return null;
        }
        int slash = cidr.indexOf('/');
        try {
            return IpAddress.parse(slash < 0 ? cidr : cidr.substring(0, slash));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
