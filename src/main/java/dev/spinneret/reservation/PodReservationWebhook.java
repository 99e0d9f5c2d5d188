package dev.spinneret.reservation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.admission.AdmissionDenied;
import dev.spinneret.admission.AdmissionOutcome;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.admission.NamedAdmissionHandler;
import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.api.v2beta1.IPAllocationDetail;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.autopool.AutoPools;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.OwnerResolver;
import dev.spinneret.ledger.LedgerClaims;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.Owner;
import dev.spinneret.pool.StatefulSetOrdinal;
import dev.spinneret.selection.AnnotationException;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.NodeConstraints;
import dev.spinneret.selection.NodePlacement;
import dev.spinneret.selection.NodeScope;
import dev.spinneret.selection.NodeTerm;
import dev.spinneret.selection.PodFacts;
import dev.spinneret.selection.PodRoutes;
import dev.spinneret.selection.SelectionDenied;
import dev.spinneret.selection.SubnetAnnotations;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Mutating webhook on Pod CREATE: decides which of the pod's interfaces Spinneret serves ({@link ServedInterfaces}:
 * none → the pod is allowed unchanged), chooses the pools, reserves the addresses in the pools' ledgers (in the API
 * server, before answering), and writes them into the pod as {@code ipam.spidernet.io/reserved-ips} plus the label
 * {@code ipam.spidernet.io/reservation-id}; a pod the scheduler places later that a node-bound pool serves also gets
 * that pool's node rule in its required node affinity ({@link NodeAffinityPatch}, docs/node-pools.md). Dry runs
 * reserve nothing and show what would be used.
 */
@ApplicationScoped
public class PodReservationWebhook implements NamedAdmissionHandler {
    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    OwnerResolver owners;
    @Inject
    PodReservations reservations;
    @Inject
    StatefulSetEndpoints statefulSets;
    @Inject
    Events events;
    @Inject
    MeterRegistry meters;
    @Inject
    ObjectMapper mapper;
    @Inject
    Reinvocations reinvocation;
    @Inject
    AutoPools autoPools;
    @Inject
    ServedInterfaces interfaces;
    @Inject
    LedgerClaims claims;

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(PodReservationWebhook.class);

    @Override
    public String webhookName() {
        return "mutate-pod";
    }

    @Override
    public AdmissionOutcome handle(AdmissionRequest req) {
        if (!req.isCreate()) {
            return AdmissionOutcome.allow();
        }
        Pod pod = read(req.object());
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            return AdmissionOutcome.allow();
        }
        if (pod.getMetadata().getNamespace() == null) {
            pod.getMetadata().setNamespace(req.namespace());
        }
        String ns = pod.getMetadata().getNamespace();
        // the ledger binds a reservation to the pod's namespace and name, so a generateName pod is named here (as
        // the API server would name it, which it does only after mutating admission)
        String generatedName = PodNames.generateIfUnnamed(pod.getMetadata().getName(),
                pod.getMetadata().getGenerateName());
        if (generatedName != null) {
            pod.getMetadata().setName(generatedName);
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        String expectedId = ReservationIds.fromRequestUid(req.uid());
        String existing = annotations == null ? null : annotations.get(IpamAnnotations.RESERVED_IPS);
        if (existing != null) {
            if (reinvocation.isOwn(pod, existing)) {
                return AdmissionOutcome.allow(); // reinvoked (another webhook changed the pod after us)
            }
            throw deny(null, new ReservationDenied(403, "Forged", "metadata.annotations["
                    + IpamAnnotations.RESERVED_IPS + "]: is written by Spinneret at admission and may not be set by"
                    + " users; remove it (copying a pod's YAML copies it)"));
        }
        Reserved r = reserveFor(pod, expectedId, req.dryRun(), true);
        if (r == null) {
            return AdmissionOutcome.allow(); // Spinneret serves none of this pod's interfaces
        }
        if (!r.notes().isEmpty()) {
            return AdmissionOutcome.allowWarning(r.notes()); // dry run before the pool exists
        }
        JsonNode meta = req.object().path("metadata");
        ArrayNode patch = mapper.createArrayNode();
        if (generatedName != null) {
            patch.addObject().put("op", "add").put("path", "/metadata/name").put("value", generatedName);
        }
        addEntry(patch, meta, "annotations", IpamAnnotations.RESERVED_IPS, r.annotation());
        addEntry(patch, meta, "labels", IpamAnnotations.RESERVATION_LABEL, r.id());
        if (r.nodeTerms() != null) {
            // a node-bound pool gave the address: the scheduler must place the pod on one of its nodes
            NodeAffinityPatch.add(patch, req.object().get("spec"), r.nodeTerms());
        }
        return AdmissionOutcome.patch(patch);
    }

    /**
     * What a pod got: its reservation id, the annotation value, the required node affinity it must get (null: none;
     * a node-bound pool served a pod the scheduler places later), and (a dry run before its automatic pool exists)
     * notes instead of a reservation.
     */
    public record Reserved(String id, String annotation, List<NodeTerm> nodeTerms, List<String> notes) {
    }

    /**
     * Reserves the addresses of every interface Spinneret serves for {@code pod} (its metadata, namespace and name
     * set, and the spec fields that pin it to a node), bound to its namespace and name: the admission path and the
     * late path ({@link LateReservations}) alike. Null when Spinneret serves none of its interfaces.
     *
     * @param placeable the pod is being admitted, so node rules may still be added to it: a node-bound pool may
     *        serve it although its node is not known yet (false: the pod exists, and such a pool serves it only once
     *        it is bound to one of the pool's nodes)
     * @throws ReservationDenied saying why it cannot be served (a Warning Event goes to its controller)
     */
    public Reserved reserveFor(Pod pod, String expectedId, boolean dryRun, boolean placeable) {
        String ns = pod.getMetadata().getNamespace();
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        Owner owner;
        try {
            owner = owners.topController(pod);
        } catch (OwnerResolver.OwnerMismatch e) {
            throw deny(null, new ReservationDenied(403, "OwnerMismatch", e.getMessage()));
        }
        Owner direct = pod.getMetadata().getOwnerReferences() == null ? null
                : pod.getMetadata().getOwnerReferences().stream().filter(r -> Boolean.TRUE.equals(r.getController()))
                        .findFirst().map(r -> new Owner(r.getApiVersion(), r.getKind(), ns, r.getName(), r.getUid()))
                        .orElse(null);
        Owner eventTarget = owner.kind() != null && !"Pod".equals(owner.kind()) ? owner : null;
        try {
            Namespace namespace = cache.namespace(ns).orElse(null);
            AutoPools.Prepared auto = SubnetAnnotations.present(annotations)
                    ? autoPools.prepare(owner, annotations, dryRun) : null;
            if (auto != null && !auto.notes().isEmpty()) {
                return new Reserved(null, null, null, auto.notes());
            }
            List<InterfaceRequest> requests = new ArrayList<>(auto != null ? auto.requests() : List.of());
            requests.addAll(interfaces.requests(annotations, namespace, ns,
                    requests.stream().map(InterfaceRequest::iface).collect(Collectors.toSet())));
            if (requests.isEmpty()) {
                return null;
            }
            String node = PodPinning.node(pod);
            NodeConstraints own = PodPinning.constraints(pod);
            NodeScope scope = node != null ? NodeScope.pinned(node, nodeLabels(node))
                    : placeable ? NodeScope.open(() -> cache.nodes().stream().map(PodPinning::facts).toList(), own)
                    : NodeScope.unknown();
            PodFacts facts = new PodFacts(ns, AutoPoolLabels.selectionLabels(pod.getMetadata().getLabels(), owner),
                    namespace == null ? Map.of() : labels(namespace.getMetadata().getLabels()),
                    namespace == null ? Map.of() : labels(namespace.getMetadata().getAnnotations()), scope);

            String name = pod.getMetadata().getName();
            if (name == null || name.isEmpty()) {
                throw new ReservationDenied(422, "BadPod", "metadata.name: a pod needs a name or generateName");
            }
            if (!PodNames.valid(name)) {
                // the API server would refuse the pod after this answer, leaving an orphan that holds an address
                // until the sweep's TTL: a cheap way to drain a pool, so refused before anything is reserved
                throw new ReservationDenied(422, "BadPod", "metadata.name: '" + (name.length() > 80
                        ? name.substring(0, 80) + "...'" : name + "'") + " is not a valid pod name (lowercase letters,"
                        + " digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters)");
            }
            String holder = ns + "/" + name;
            List<PodRoutes.Route> ownRoutes = PodRoutes.parse(annotations); // malformed: refused before reserving
            // a StatefulSet's identity goes only to a pod named <set>-<ordinal> as its controller names them
            boolean sts = direct != null && direct.isStatefulSet()
                    && StatefulSetOrdinal.of(direct.name(), name) >= 0;
            SpiderEndpoint previous = sts ? trusted(statefulSets.current(ns, name, direct), holder) : null;
            String id = previous != null ? previous.getStatus().current.reservationID : expectedId;
            var slots = reservations.reserve(id, holder, requests, facts,
                    previous == null ? Map.of() : PodReservations.prior(previous), dryRun,
                    auto == null ? Map.of() : auto.pools());
            Map<String, List<PodRoutes.Route>> routes = Map.of();
            try {
                if (!ownRoutes.isEmpty()) { // most pods have none: no subnet parsing on the common path
                    routes = PodRoutes.assign(ownRoutes, PodReservations.subnets(slots),
                            PodReservations.poolRouteDestinations(slots));
                }
            } catch (AnnotationException e) {
                if (!dryRun && previous == null) {
                    reservations.rollback(id, holder, slots);
                }
                throw e;
            }
            if (sts && !dryRun) {
                try {
                    statefulSets.record(ns, name, direct, owner, id, requests, slots, previous);
                } catch (RuntimeException e) {
                    if (previous == null) {
                        reservations.rollback(id, holder, slots);
                    }
                    throw new ReservationDenied(503, "ApiServer", "could not record the StatefulSet pod's fixed"
                            + " addresses in SpiderEndpoint " + holder + ": " + e.getMessage());
                }
            }
            if (!dryRun) {
                Counter.builder("spinneret.reservations").tag("outcome", "reserved").register(meters).increment();
            }
            List<NodeTerm> nodeTerms = scope.isOpen() ? NodePlacement.required(own.requiredTerms(), slots.stream()
                    .flatMap(s -> PoolFactsMapper.facts(s.poolObject()).stream()).toList()) : null;
            return new Reserved(id, PodReservations.annotation(id, eventTarget, requests, slots, routes).toJson(), nodeTerms,
                    List.of());
        } catch (SelectionDenied e) {
            throw deny(eventTarget, new ReservationDenied("BadNetwork".equals(e.reason()) ? 422 : 403, e.reason(),
                    e.getMessage()));
        } catch (AnnotationException e) {
            throw deny(eventTarget, new ReservationDenied(422, "BadAnnotation", e.getMessage()));
        } catch (ReservationDenied d) {
            throw deny(eventTarget, d);
        }
    }

    /**
     * A StatefulSet pod's endpoint is a record anyone with write access to SpiderEndpoints (a node's plugin) could
     * have made: its reservation is reused only if the ledger holds each of its addresses for that reservation,
     * bound to this pod's namespace and name. An earlier version's entry that the sweep has not bound yet is not
     * trusted either (anyone who can write an endpoint could claim it): such a pod gets a new address.
     */
    private SpiderEndpoint trusted(SpiderEndpoint se, String holder) {
        if (se == null) {
            return null;
        }
        String id = se.getStatus().current.reservationID;
        boolean any = false;
        for (var d : se.getStatus().current.ips == null ? List.<IPAllocationDetail>of()
                : se.getStatus().current.ips) {
            for (String[] fam : new String[][] { { d.ipv4Pool, d.ipv4 }, { d.ipv6Pool, d.ipv6 } }) {
                if (fam[1] == null) {
                    continue;
                }
                if (!claims.holds(fam[0], fam[1], id, holder, false)) {
                    LOG.warnf("SpiderEndpoint %s claims %s of SpiderIPPool %s for reservation %s, but the ledger does"
                            + " not bind it to that pod: ignored, the pod gets a new reservation", holder, fam[1],
                            fam[0], id);
                    return null;
                }
                any = true;
            }
        }
        return any ? se : null;
    }

    private ReservationDenied deny(Owner eventTarget, ReservationDenied d) {
        Counter.builder("spinneret.denials").tag("reason", d.kind()).register(meters).increment();
        if (eventTarget != null) {
            events.warning(eventTarget, "IPReservationFailed", d.getMessage());
        }
        return d;
    }

    private Map<String, String> nodeLabels(String name) {
        try {
            return cache.node(name).map(n -> labels(n.getMetadata().getLabels())).orElse(Map.of());
        } catch (KubernetesClientException e) {
            return Map.of();
        }
    }

    private static Map<String, String> labels(Map<String, String> m) {
        return m == null ? Map.of() : m;
    }

    /**
     * JSON Patch operations that set {@code metadata.<map>[key]}: the patch names only what changes, so the pod is
     * neither copied nor diffed. A missing map is added whole (a patch cannot add a key under a missing parent).
     */
    static void addEntry(ArrayNode patch, JsonNode meta, String map, String key, String value) {
        JsonNode existing = meta.get(map);
        ObjectNode op = patch.addObject().put("op", "add");
        if (existing == null || !existing.isObject()) {
            op.put("path", "/metadata/" + map);
            op.putObject("value").put(key, value);
        } else {
            op.put("path", "/metadata/" + map + "/" + key.replace("~", "~0").replace("/", "~1"));
            op.put("value", value);
        }
    }

    /** The fields of the pod the webhook reads: its metadata (without managedFields) and where it may run. */
    private static final List<String> SPEC_FIELDS = List.of("hostNetwork", "nodeName", "nodeSelector", "affinity",
            "tolerations");

    private Pod read(JsonNode node) {
        try {
            ObjectNode trimmed = mapper.createObjectNode();
            for (String f : List.of("apiVersion", "kind")) {
                if (node.has(f)) {
                    trimmed.set(f, node.get(f));
                }
            }
            JsonNode meta = node.get("metadata");
            if (meta != null && meta.isObject()) {
                ObjectNode m = trimmed.putObject("metadata");
                meta.fields().forEachRemaining(e -> {
                    if (!e.getKey().equals("managedFields")) {
                        m.set(e.getKey(), e.getValue());
                    }
                });
            }
            JsonNode spec = node.get("spec");
            ObjectNode sp = trimmed.putObject("spec");
            if (spec != null && spec.isObject()) {
                for (String f : SPEC_FIELDS) {
                    if (spec.has(f)) {
                        sp.set(f, spec.get(f));
                    }
                }
            }
            Pod pod = client.getKubernetesSerialization().convertValue(trimmed, Pod.class);
            if (pod.getMetadata() == null) {
                pod.setMetadata(new io.fabric8.kubernetes.api.model.ObjectMeta());
            }
            return pod;
        } catch (RuntimeException e) {
            throw new AdmissionDenied("request.object: is not a Pod: " + e.getMessage());
        }
    }
}
