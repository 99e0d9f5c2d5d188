package dev.spinneret.reservation;

import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Events;
import dev.spinneret.cluster.GcLease;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.IpamAnnotations;
import dev.spinneret.selection.SubnetAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Reserves for pods the pod webhook never saw: those of namespaces it excludes (kube-system: CoreDNS and the other
 * infrastructure pods when Spinneret is the cluster's IPAM) and those created while it was not called (every
 * replica down under {@code failurePolicy: Ignore}). Pods and namespaces labelled {@code spinneret.dev/ignore=true}
 * are left alone, as by the webhook. A watch of pods without a reservation label (metadata only);
 * for each pod Spinneret serves (decided from the watched metadata where it can, without a GET), the replica that leads garbage collection reserves exactly as the webhook would
 * (same pools, same ledger binding to the pod's namespace and name; the id is derived from the pod's UID, so a
 * retry or another replica gets the same addresses) and writes the annotation and label into the pod with one
 * patch conditional on the pod's resourceVersion. Only Spinneret's identity may add them (the admission policy);
 * until they are there, the CNI plugin answers "try again later" (CNI error 11) and the kubelet retries.
 */
@ApplicationScoped
public class LateReservations {
    private static final Logger LOG = Logger.getLogger(LateReservations.class);
    /** The pod webhook's opt-out label (on a pod or its namespace); the late path honours it too. */
    static final String OPT_OUT_LABEL = "spinneret.dev/ignore";

    @Inject
    KubernetesClient client;
    @Inject
    PodReservationWebhook reserver;
    @Inject
    ClusterCache cache;
    @Inject
    ServedInterfaces interfaces;
    @Inject
    GcLease lease;
    @Inject
    dev.spinneret.adopt.SpiderpoolAdoption adoption;
    @Inject
    Events events;
    @Inject
    MeterRegistry meters;
    @ConfigProperty(name = "spinneret.late.retry-interval", defaultValue = "10s")
    Duration retryInterval;

    private volatile SharedIndexInformer<Pod> informer;
    /** Pods (UID) decided once and for all: not served, or host network. Dropped when the pod goes. */
    private final Set<String> settled = ConcurrentHashMap.newKeySet();
    /** Pod UID → the reason its last attempt failed (an Event is recorded when it changes). */
    private final Map<String, String> lastFailure = new ConcurrentHashMap<>();
    /** Pods (namespace/name) queued, so that many events for one pod cost one pass. */
    private final Set<String> queued = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService worker = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "late-reservations");
        t.setDaemon(true);
        return t;
    });

    public synchronized void start() {
        if (informer != null) {
            return;
        }
        informer = ClusterCache.resilient(cache.leanPodClient().pods().inAnyNamespace()
                .withoutLabel(IpamAnnotations.RESERVATION_LABEL).runnableInformer(0));
        informer.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(Pod pod) {
                enqueue(pod);
            }

            @Override
            public void onUpdate(Pod oldPod, Pod pod) {
                enqueue(pod);
            }

            @Override
            public void onDelete(Pod pod, boolean unknown) {
                settled.remove(pod.getMetadata().getUid());
                lastFailure.remove(pod.getMetadata().getUid());
            }
        });
        informer.start();
        // pods whose reservation failed (no pool yet, pool exhausted) or that arrived while another replica led
        worker.scheduleWithFixedDelay(this::retryAll, retryInterval.toMillis(), retryInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void retryAll() {
        if (informer == null || !lease.isLeader()) {
            return;
        }
        for (Pod p : informer.getStore().list()) {
            enqueue(p);
        }
    }

    private void enqueue(Pod pod) {
        if (!lease.isLeader() || settled.contains(pod.getMetadata().getUid())
                || pod.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        String key = pod.getMetadata().getNamespace() + "/" + pod.getMetadata().getName();
        if (queued.add(key)) {
            worker.execute(() -> {
                queued.remove(key);
                try {
                    if (!adoption.servedBySpiderpool(pod) && !mayBeServed(pod)) {
                        settled.add(pod.getMetadata().getUid()); // decided from its metadata, without a GET
                        return;
                    }
                    reserveFor(pod.getMetadata().getNamespace(), pod.getMetadata().getName());
                } catch (RuntimeException e) {
                    LOG.warnf("late reservation for pod %s: %s; retried in %s", key, e.getMessage(), retryInterval);
                }
            });
        }
    }

    /**
     * Whether Spinneret may serve the pod, from what the watch keeps of it (metadata): false for an opted-out pod
     * and for one none of whose interfaces uses Spinneret (with {@code ipam.primaryNetwork=false}, most pods), so
     * that those cost no GET. A lookup that fails leaves it to {@link #reserveFor(String, String)}, which reports.
     */
    private boolean mayBeServed(Pod pod) {
        String ns = pod.getMetadata().getNamespace();
        var namespace = cache.namespace(ns).orElse(null);
        if (optedOut(pod.getMetadata().getLabels())
                || optedOut(namespace == null ? null : namespace.getMetadata().getLabels())) {
            return false;
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        if (SubnetAnnotations.present(annotations)) {
            return true;
        }
        try {
            return !interfaces.requests(annotations, namespace, ns, Set.of()).isEmpty();
        } catch (RuntimeException e) {
            return true;
        }
    }

    /** One pass for one pod: reserve and write, or decide it needs nothing. Safe to repeat. */
    void reserveFor(String ns, String name) {
        Pod pod = client.pods().inNamespace(ns).withName(name).get(); // the spec too: host network, node
        if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
            return;
        }
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (labels != null && labels.containsKey(IpamAnnotations.RESERVATION_LABEL)) {
            return; // reserved meanwhile
        }
        String uid = pod.getMetadata().getUid();
        if (pod.getSpec() != null && Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
            settled.add(uid);
            return;
        }
        if (optedOut(labels) || optedOut(cache.namespace(ns).map(n -> n.getMetadata().getLabels()).orElse(null))) {
            settled.add(uid); // spinneret.dev/ignore=true on the pod or its namespace
            return;
        }
        Map<String, String> annotations = pod.getMetadata().getAnnotations();
        if (annotations != null && annotations.containsKey(IpamAnnotations.RESERVED_IPS)) {
            // an annotation without the label: not Spinneret's writing; the CNI plugin refuses it
            settled.add(uid);
            events.warning(podRef(pod), "ForeignReservation", "carries " + IpamAnnotations.RESERVED_IPS
                    + " without the reservation-id label, which Spinneret never writes: it gets no address from it;"
                    + " delete this pod and create it without the annotation");
            return;
        }
        PodReservationWebhook.Reserved r;
        boolean adopted = false;
        try {
            // a running pod Spiderpool served keeps its addresses: the reservation its records were imported to
            var a = adoption.reservationOf(pod);
            adopted = a.isPresent();
            r = adopted ? new PodReservationWebhook.Reserved(a.get().id(), a.get().annotation(), List.of())
                    : reserver.reserveFor(pod, ReservationIds.fromRequestUid("late:" + uid), false);
        } catch (dev.spinneret.adopt.SpiderpoolAdoption.Pending p) {
            if (!p.getMessage().equals(lastFailure.put(uid, p.getMessage()))) {
                events.warning(podRef(pod), "AdoptionPending", p.getMessage() + " (retried every "
                        + retryInterval.toSeconds() + "s)");
            }
            return;
        } catch (ReservationDenied d) {
            if (!d.getMessage().equals(lastFailure.put(uid, d.getMessage()))) { // one Event per distinct reason
                events.warning(podRef(pod), "IPReservationFailed", d.getMessage() + " (retried every "
                        + retryInterval.toSeconds() + "s)");
            }
            return;
        }
        lastFailure.remove(uid);
        if (r == null || r.id() == null) {
            settled.add(uid); // Spinneret serves none of its interfaces
            return;
        }
        Map<String, Object> meta = new LinkedHashMap<>();
        meta.put("resourceVersion", pod.getMetadata().getResourceVersion());
        meta.put("labels", Map.of(IpamAnnotations.RESERVATION_LABEL, r.id()));
        meta.put("annotations", Map.of(IpamAnnotations.RESERVED_IPS, r.annotation()));
        try {
            client.pods().inNamespace(ns).withName(name).patch(PatchContext.of(PatchType.JSON_MERGE),
                    client.getKubernetesSerialization().asJson(Map.of("metadata", meta)));
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                // gone meanwhile: its addresses are bound to it, so the sweep releases them as orphans after the TTL
                LOG.debugf("pod %s/%s went away before its late reservation %s was written", ns, name, r.id());
                return;
            }
            // 409: changed meanwhile; the next pass reserves again (same id: the same addresses)
            throw e;
        }
        if (adopted) {
            adoption.takeOverEndpoint(ns, name); // else the next adoption pass does
        }
        Counter.builder("spinneret.reservations").tag("outcome", adopted ? "adopted" : "reserved-late")
                .register(meters).increment();
        events.normal(podRef(pod), adopted ? "IPAdopted" : "IPReserved", (adopted
                ? "addresses Spiderpool allocated to this pod kept: " : "reserved after creation (the pod webhook did"
                        + " not see it): ") + r.annotation());
        LOG.infof("pod %s/%s: %s (reservation %s)", ns, name, adopted ? "addresses allocated by Spiderpool adopted"
                : "reserved after creation", r.id());
    }

    private static boolean optedOut(Map<String, String> labels) {
        return labels != null && "true".equals(labels.get(OPT_OUT_LABEL));
    }

    private static Owner podRef(Pod pod) {
        return new Owner("v1", "Pod", pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getUid());
    }

    @PreDestroy
    void stop() {
        worker.shutdownNow();
        if (informer != null) {
            informer.stop();
        }
    }
}
