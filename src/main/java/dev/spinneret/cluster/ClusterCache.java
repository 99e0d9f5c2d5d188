package dev.spinneret.cluster;

import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.APIResourceList;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;

/**
 * Informer caches the webhooks and the garbage collector read: pools (for selection, and for the ledger writer to
 * plan from once a pool's ledger is in blocks — a write that allocates is then checked against a fresh read of the
 * pool, an answer that writes nothing against a fresh read of its blocks), namespaces, nodes (trimmed to what
 * pool placement reads, {@link NodeStore}), pods that hold a reservation
 * (label {@code ipam.spidernet.io/reservation-id}, indexed by it), SpiderEndpoints (indexed by reservation id) and
 * Multus' NetworkAttachmentDefinitions (read as untyped objects; the CRD may be absent). A pod that leaves the label
 * selection is reported as deleted: the garbage collector confirms with the API server before it releases anything.
 * Cached pods carry only the metadata Spinneret reads ({@link
 * PodMetadataStore}): no spec, no status.
 */
@ApplicationScoped
public class ClusterCache {
    private static final Logger LOG = Logger.getLogger(ClusterCache.class);
    static final String BY_RESERVATION = "reservation";

    @Inject
    KubernetesClient client;
    @Inject
    MeterRegistry meters;

    private volatile SharedIndexInformer<SpiderIPPool> pools;
    private volatile SharedIndexInformer<Namespace> namespaces;
    private volatile SharedIndexInformer<Node> nodes;
    private volatile SharedIndexInformer<Pod> pods;
    /** The pod informer's own client: it decodes pods without spec, status and managedFields. */
    private volatile KubernetesClient podClient;
    private volatile SharedIndexInformer<SpiderEndpoint> endpoints;
    private volatile SharedIndexInformer<GenericKubernetesResource> networks;
    private volatile OptionalApi networksApi;
    private volatile ScheduledExecutorService networksCheck;
    static final long NETWORKS_CHECK_SECONDS = 30;
    /** Multus' NetworkAttachmentDefinition ({@code k8s.cni.cncf.io/v1}), named without API discovery. */
    static final ResourceDefinitionContext NETWORK_ATTACHMENT_DEFINITION = new ResourceDefinitionContext.Builder()
            .withGroup("k8s.cni.cncf.io").withVersion("v1").withKind("NetworkAttachmentDefinition")
            .withPlural("network-attachment-definitions").withNamespaced(true).build();
    private final List<ResourceEventHandler<Pod>> podHandlers = new CopyOnWriteArrayList<>();
    private final List<ResourceEventHandler<SpiderIPPool>> poolHandlers = new CopyOnWriteArrayList<>();

    public synchronized void start() {
        if (pools != null) {
            return;
        }
        pools = resilient(client.resources(SpiderIPPool.class).runnableInformer(0));
        pools.addEventHandler(fanOut(poolHandlers));
        pools.addEventHandler(counted("spiderippools"));
        pools.start();
        namespaces = resilient(client.namespaces().runnableInformer(0));
        namespaces.addEventHandler(counted("namespaces"));
        namespaces.start();
        nodes = resilient(client.nodes().runnableInformer(0));
        nodes.itemStore(new NodeStore());
        nodes.addEventHandler(counted("nodes"));
        nodes.start();
        podClient = new KubernetesClientBuilder().withConfig(client.getConfiguration())
                .withKubernetesSerialization(PodWatchSerialization.create()).build();
        pods = podInformer(podClient);
        pods.addEventHandler(fanOut(podHandlers));
        pods.addEventHandler(counted("pods"));
        pods.start();
        endpoints = resilient(client.resources(SpiderEndpoint.class).inAnyNamespace().runnableInformer(0));
        endpoints.addIndexers(Map.of(BY_RESERVATION, e -> e.getStatus() == null || e.getStatus().current == null
                || e.getStatus().current.reservationID == null ? List.of()
                        : List.of(e.getStatus().current.reservationID)));
        endpoints.addEventHandler(counted("spiderendpoints"));
        endpoints.start();
        // Not part of synced(): a cluster without Multus has no such CRD. Its informer starts once the API is served
        // (checked every 30 s; a list/watch of an absent API would log a stack trace at every retry). Until it has
        // synced, lookups read the API server directly.
        networksApi = new OptionalApi("the NetworkAttachmentDefinition API (k8s.cni.cncf.io/v1)",
                "pool selection from NetworkAttachmentDefinitions (default_ipv4_ippool)", this::networksServed,
                this::startNetworks);
        networksCheck = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "spinneret-nad-check");
            t.setDaemon(true);
            return t;
        });
        networksCheck.scheduleWithFixedDelay(this::checkNetworks, 0, NETWORKS_CHECK_SECONDS, TimeUnit.SECONDS);
        LOG.info("informers started for SpiderIPPools, Namespaces, Nodes, Pods and SpiderEndpoints");
    }

    private void checkNetworks() {
        OptionalApi.Check c = networksApi.check();
        c.log().ifPresent(LOG::info);
        if (c.started()) {
            networksCheck.shutdown();
        }
    }

    private boolean networksServed() {
        try {
            APIResourceList served = client.getApiResources(NETWORK_ATTACHMENT_DEFINITION.getGroup() + "/"
                    + NETWORK_ATTACHMENT_DEFINITION.getVersion());
            return served != null && served.getResources().stream()
                    .anyMatch(r -> NETWORK_ATTACHMENT_DEFINITION.getPlural().equals(r.getName()));
        } catch (KubernetesClientException e) {
            LOG.debugf("discovery of %s failed (%s)", NETWORK_ATTACHMENT_DEFINITION.getGroup(), e.getMessage());
            return false;
        }
    }

    private synchronized void startNetworks() {
        SharedIndexInformer<GenericKubernetesResource> inf = client.genericKubernetesResources(
                NETWORK_ATTACHMENT_DEFINITION).inAnyNamespace().runnableInformer(0);
        inf.exceptionHandler((started, t) -> {
            if (ExceptionHandler.isDeserializationException(t)) {
                LOG.errorf(t, "NetworkAttachmentDefinition informer cannot read an object; not retrying");
                return false;
            }
            LOG.debugf("NetworkAttachmentDefinition list/watch failed (%s); retrying", t.getMessage());
            return true;
        });
        inf.start();
        networks = inf;
    }

    /**
     * Only pods that hold a reservation (the others are never looked up, and each pod event costs a decode), indexed
     * by reservation id; what is stored of a pod is the metadata Spinneret reads ({@link PodMetadataStore}), and
     * there is no namespace index (nothing looks pods up by namespace): full pods were most of the heap with 10,000
     * pods present. {@code client} should decode with {@link PodWatchSerialization}, so that what is dropped is
     * never built either.
     */
    static SharedIndexInformer<Pod> podInformer(KubernetesClient client) {
        SharedIndexInformer<Pod> informer = resilient(client.pods().inAnyNamespace()
                .withLabel(IpamAnnotations.RESERVATION_LABEL).runnableInformer(0));
        informer.itemStore(new PodMetadataStore());
        informer.removeNamespaceIndex();
        informer.addIndexers(Map.of(BY_RESERVATION, p -> {
            String id = p.getMetadata().getLabels() == null ? null
                    : p.getMetadata().getLabels().get(IpamAnnotations.RESERVATION_LABEL);
            return id == null ? List.of() : List.of(id);
        }));
        return informer;
    }

    /**
     * An informer that keeps retrying after any API error, including one during its first list: fabric8's default
     * gives up on a failed first list ("listSyncAndWatch failed ... will stop"), which left a freshly started
     * replica unready for good after one dropped connection. Retries back off inside the informer.
     */
    public static <T> SharedIndexInformer<T> resilient(SharedIndexInformer<T> informer) {
        return informer.exceptionHandler((started, t) -> {
            if (ExceptionHandler.isDeserializationException(t)) {
                LOG.errorf(t, "informer cannot read an object; not retrying");
                return false;
            }
            LOG.warnf("informer list/watch failed (%s); retrying", t.getMessage());
            return true;
        });
    }

    /**
     * Counts the events an informer delivers ({@code spinneret_watch_events_total{resource}}): every one was
     * received, decoded and stored by this process, so events per admitted pod is a cost the benchmark reports.
     */
    private <T> ResourceEventHandler<T> counted(String resource) {
        Counter c = Counter.builder("spinneret.watch.events").tag("resource", resource)
                .description("informer events received (add, update, delete)").register(meters);
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                c.increment();
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                c.increment();
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                c.increment();
            }
        };
    }

    /** One informer handler that forwards every event to the handlers registered (possibly later) in {@code to}. */
    private static <T> ResourceEventHandler<T> fanOut(List<ResourceEventHandler<T>> to) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                to.forEach(h -> h.onAdd(obj));
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                to.forEach(h -> h.onUpdate(oldObj, newObj));
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                to.forEach(h -> h.onDelete(obj, deletedFinalStateUnknown));
            }
        };
    }

    @PreDestroy
    synchronized void stop() {
        if (networksCheck != null) {
            networksCheck.shutdownNow();
        }
        if (pods != null) {
            pods.stop();
        }
        if (podClient != null) {
            podClient.close();
        }
    }

    public boolean synced() {
        return pools != null && pools.hasSynced() && namespaces.hasSynced() && nodes.hasSynced() && pods.hasSynced()
                && endpoints.hasSynced();
    }

    public void onPools(ResourceEventHandler<SpiderIPPool> handler) {
        poolHandlers.add(handler);
    }

    public void onPods(ResourceEventHandler<Pod> handler) {
        podHandlers.add(handler);
    }

    public List<SpiderIPPool> pools() {
        return pools == null ? client.resources(SpiderIPPool.class).list().getItems() : pools.getStore().list();
    }

    public Optional<SpiderIPPool> pool(String name) {
        return Optional.ofNullable(pools == null ? client.resources(SpiderIPPool.class).withName(name).get()
                : pools.getStore().getByKey(name));
    }

    /**
     * Every Node, trimmed to name, labels, taints and {@code spec.unschedulable} ({@link NodeStore}); listed from the
     * API server until the informer has synced.
     */
    public List<Node> nodes() {
        SharedIndexInformer<Node> inf = nodes;
        if (inf != null && inf.hasSynced()) {
            return inf.getStore().list();
        }
        return client.nodes().list().getItems().stream().map(NodeStore::trimmed).toList();
    }

    /** One Node, trimmed as in {@link #nodes()}, or empty. */
    public Optional<Node> node(String name) {
        SharedIndexInformer<Node> inf = nodes;
        if (inf != null && inf.hasSynced()) {
            return Optional.ofNullable(inf.getStore().getByKey(name));
        }
        return Optional.ofNullable(client.nodes().withName(name).get()).map(NodeStore::trimmed);
    }

    public Optional<Namespace> namespace(String name) {
        Namespace ns = namespaces == null ? null : namespaces.getStore().getByKey(name);
        if (ns == null) {
            ns = client.namespaces().withName(name).get();
        }
        return Optional.ofNullable(ns);
    }

    /**
     * The {@code spec.config} of NetworkAttachmentDefinition {@code namespace/name} ("" when it has none), or empty
     * when there is no such object (or no such CRD). Read from the informer once it has synced, else from the API.
     */
    public Optional<String> networkConfig(String namespace, String name) {
        SharedIndexInformer<GenericKubernetesResource> inf = networks;
        GenericKubernetesResource nad;
        if (inf != null && inf.hasSynced()) {
            nad = inf.getStore().getByKey(namespace + "/" + name);
        } else {
            try {
                nad = client.genericKubernetesResources(NETWORK_ATTACHMENT_DEFINITION).inNamespace(namespace)
                        .withName(name).get();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 404) {
                    throw e;
                }
                nad = null;
            }
        }
        if (nad == null) {
            return Optional.empty();
        }
        Object spec = nad.getAdditionalProperties().get("spec");
        Object config = spec instanceof Map<?, ?> m ? m.get("config") : null;
        return Optional.of(config instanceof String c ? c : "");
    }

    public List<Pod> podsWithReservation(String id) {
        return pods == null ? List.of() : pods.getIndexer().byIndex(BY_RESERVATION, id);
    }

    public List<SpiderEndpoint> endpointsWithReservation(String id) {
        return endpoints == null ? List.of() : endpoints.getIndexer().byIndex(BY_RESERVATION, id);
    }

    public List<SpiderEndpoint> endpoints() {
        return endpoints == null ? List.of() : endpoints.getStore().list();
    }

    public Optional<SpiderEndpoint> endpoint(String namespace, String name) {
        return Optional.ofNullable(endpoints == null ? null : endpoints.getStore().getByKey(namespace + "/" + name));
    }

    /**
     * The client whose pod decoding keeps metadata only ({@link PodWatchSerialization}), for other pod watches of
     * the same kind; null before {@link #start()}.
     */
    public KubernetesClient leanPodClient() {
        return podClient;
    }

    public Optional<Pod> pod(String namespace, String name) {
        return Optional.ofNullable(pods == null ? null : pods.getStore().getByKey(namespace + "/" + name));
    }
}
