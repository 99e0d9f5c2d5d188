package dev.spinneret.reservation;

import dev.spinneret.adopt.SpiderpoolAdoption;
import dev.spinneret.ledger.SpiderpoolLedger;

import dev.spinneret.api.v2beta1.PodIPAllocation;
import dev.spinneret.api.v2beta1.SpiderEndpoint;
import dev.spinneret.api.v2beta1.SpiderEndpointStatus;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Map;

/**
 * The fixed addresses of StatefulSet pods live in a SpiderEndpoint named like the pod, owned by the StatefulSet
 * (not the pod), so they outlive each pod and come back to the next pod with the same ordinal.
 */
@ApplicationScoped
public class StatefulSetEndpoints {
    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    SpiderpoolAdoption adoption;

    /**
     * The endpoint of this StatefulSet pod if it holds a reservation of this same StatefulSet, else null. One that
     * Spiderpool wrote is taken over first ({@link SpiderpoolAdoption#takeOverEndpoint}: a pod restarted before the
     * adoption pass reached its endpoint keeps its address too; the caller checks the ledger binds it to this pod).
     */
    public SpiderEndpoint current(String ns, String podName, Owner sts) {
        SpiderEndpoint se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(podName).get();
        if (se != null && SpiderpoolAdoption.spiderpoolWritten(se)) {
            adoption.takeOverEndpoint(ns, podName);
            se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(podName).get();
        }
        if (se == null || se.getStatus() == null || se.getStatus().current == null
                || se.getStatus().current.reservationID == null) {
            return null;
        }
        boolean same = "StatefulSet".equals(se.getStatus().ownerControllerType)
                && sts.name().equals(se.getStatus().ownerControllerName)
                && se.getMetadata().getOwnerReferences() != null
                && se.getMetadata().getOwnerReferences().stream().anyMatch(r -> sts.uid().equals(r.getUid()));
        return same ? se : null;
    }

    public void record(String ns, String podName, Owner sts, Owner top, String id, List<InterfaceRequest> requests,
            List<PodReservations.Slot> slots, SpiderEndpoint previous) {
        SpiderEndpoint se = previous;
        if (se == null) {
            SpiderEndpoint fresh = new SpiderEndpoint();
            fresh.setMetadata(new ObjectMetaBuilder().withName(podName).withNamespace(ns)
                    .withLabels(Map.of(IpamAnnotations.RESERVATION_LABEL, id))
                    .withOwnerReferences(new OwnerReferenceBuilder().withApiVersion(sts.apiVersion())
                            .withKind(sts.kind()).withName(sts.name()).withUid(sts.uid()).build())
                    .build());
            try {
                se = client.resource(fresh).create();
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
                // a stale endpoint of an earlier StatefulSet with this name: take it over
                se = client.resources(SpiderEndpoint.class).inNamespace(ns).withName(podName).get();
                se.getMetadata().setOwnerReferences(fresh.getMetadata().getOwnerReferences());
                se.getMetadata().setLabels(fresh.getMetadata().getLabels());
                se = client.resource(se).update();
            }
        }
        SpiderEndpointStatus status = new SpiderEndpointStatus();
        status.ownerControllerType = "StatefulSet";
        status.ownerControllerName = sts.name();
        status.current = new PodIPAllocation();
        status.current.reservationID = id;
        status.current.ips = PodReservations.details(requests, slots);
        se.setStatus(status);
        client.resource(se).update(); // no status subresource (as Spiderpool's): status is written with the object
    }
}
