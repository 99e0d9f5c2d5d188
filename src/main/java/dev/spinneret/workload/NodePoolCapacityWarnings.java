package dev.spinneret.workload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.admission.AdmissionRequest;
import dev.spinneret.autopool.PodTemplates;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ledger.PoolCounts;
import dev.spinneret.pool.Owner;
import dev.spinneret.reservation.PodPinning;
import dev.spinneret.reservation.PoolFactsMapper;
import dev.spinneret.selection.Candidates;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.NodePoolCapacity;
import dev.spinneret.selection.NodeScope;
import dev.spinneret.selection.PodFacts;
import dev.spinneret.selection.PoolFacts;
import dev.spinneret.selection.PoolSelection;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToLongFunction;

/**
 * Capacity follows topology (issue 25): a Deployment, StatefulSet or ReplicaSet whose pod template names pools
 * ({@code ipam.spidernet.io/ippool(s)}) of which some are tied to nodes, and whose pods about to be created (all
 * replicas plus a Deployment's surge when it is new; the added replicas, plus the surge when the template changes,
 * otherwise) outnumber the free addresses of the pools that can serve them, gets a warning on apply and a Warning
 * Event {@code NodePoolCapacityShort} — instead of only pods refused one by one later. It never refuses.
 */
@ApplicationScoped
public class NodePoolCapacityWarnings {
    static final List<String> KINDS = List.of("Deployment", "StatefulSet", "ReplicaSet");

    @Inject
    ClusterCache cache;
    @Inject
    PoolCounts counts;
    @Inject
    Events events;
    @Inject
    KubernetesClient client;

    List<String> check(AdmissionRequest req, Map<String, String> annotations) {
        JsonNode obj = req.object();
        if (!KINDS.contains(req.kind()) || !obj.path("apiVersion").asText().startsWith("apps/")
                || !(annotations.containsKey(IpamAnnotations.IPPOOL) || annotations.containsKey(IpamAnnotations.IPPOOLS))) {
            return List.of();
        }
        int replicas = obj.at("/spec/replicas").asInt(1);
        boolean rolling = req.kind().equals("Deployment")
                && !"Recreate".equals(obj.at("/spec/strategy/type").asText());
        JsonNode maxSurge = obj.at("/spec/strategy/rollingUpdate/maxSurge");
        int surge = rolling ? NodePoolCapacity.surge(maxSurge.isMissingNode() || maxSurge.isNull() ? null
                : maxSurge.asText(), replicas) : 0;
        JsonNode old = req.isUpdate() ? req.oldObject() : null;
        Integer before = old == null ? null : old.at("/spec/replicas").asInt(1);
        boolean templateChanged = old != null
                && !PodTemplates.template(req.kind(), old).equals(PodTemplates.template(req.kind(), obj));
        int demand = NodePoolCapacity.demand(replicas, surge, before, templateChanged);
        if (demand <= 0) {
            return List.of();
        }
        String why = before == null ? "replicas " + replicas + (surge > 0 ? " + surge " + surge : "")
                : (replicas > before ? "replicas " + before + " → " + replicas : "")
                        + (templateChanged && surge > 0 ? (replicas > before ? " + " : "") + "rollout surge " + surge
                                : "");
        Map<String, String> onlyPools = new HashMap<>();
        for (String k : new String[] { IpamAnnotations.IPPOOL, IpamAnnotations.IPPOOLS }) {
            if (annotations.containsKey(k)) {
                onlyPools.put(k, annotations.get(k));
            }
        }
        List<InterfaceRequest> requests = IpamAnnotations.requests(onlyPools, Map.of(), List.of(), List.of());
        Map<String, PoolFacts> pools = new HashMap<>();
        cache.pools().forEach(p -> PoolFactsMapper.facts(p).ifPresent(f -> pools.put(f.name(), f)));
        String ns = obj.at("/metadata/namespace").asText(req.namespace());
        PodFacts pod = podFacts(ns, PodTemplates.template(req.kind(), obj));
        ToLongFunction<String> free = name -> cache.pool(name).map(counts::free).orElse(0L);
        List<String> warnings = new ArrayList<>();
        for (InterfaceRequest r : requests) {
            for (IpFamily f : List.of(IpFamily.V4, IpFamily.V6)) {
                List<String> names = f == IpFamily.V4 ? r.ipv4() : r.ipv6();
                if (names == null || names.isEmpty()) {
                    continue;
                }
                Candidates c = PoolSelection.candidates(names, f, pools, pod, free, null);
                String w = NodePoolCapacity.shortfall("interface " + r.iface() + ", IPv" + f.number(), c, pools, free,
                        demand, why);
                if (w != null) {
                    warnings.add(w);
                }
            }
        }
        if (warnings.isEmpty()) {
            return List.of();
        }
        String name = obj.at("/metadata/name").asText(req.name());
        Owner workload = new Owner(obj.path("apiVersion").asText(), req.kind(), ns, name,
                obj.at("/metadata/uid").asText(""));
        List<String> out = warnings.stream().map(w -> req.kind() + " " + ns + "/" + name + ", " + w).toList();
        if (!req.dryRun()) {
            events.warning(workload, "NodePoolCapacityShort", String.join("; ", warnings));
        }
        return out;
    }

    /** What the pods of this template will look like to pool selection (their node rules included). */
    private PodFacts podFacts(String ns, JsonNode template) {
        Pod pod = client.getKubernetesSerialization().convertValue(template, Pod.class);
        if (pod.getSpec() == null) {
            pod.setSpec(new io.fabric8.kubernetes.api.model.PodSpec());
        }
        Map<String, String> labels = pod.getMetadata() == null || pod.getMetadata().getLabels() == null ? Map.of()
                : pod.getMetadata().getLabels();
        Namespace namespace = cache.namespace(ns).orElse(null);
        String node = PodPinning.node(pod);
        NodeScope scope = node != null
                ? NodeScope.pinned(node, cache.node(node).map(n -> n.getMetadata().getLabels()).orElse(Map.of()))
                : NodeScope.open(() -> cache.nodes().stream().map(PodPinning::facts).toList(),
                        PodPinning.constraints(pod));
        return new PodFacts(ns, labels,
                namespace == null || namespace.getMetadata().getLabels() == null ? Map.of()
                        : namespace.getMetadata().getLabels(),
                namespace == null || namespace.getMetadata().getAnnotations() == null ? Map.of()
                        : namespace.getMetadata().getAnnotations(), scope);
    }
}
