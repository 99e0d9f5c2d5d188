package dev.spinneret.reservation;

import dev.spinneret.admission.ReservationDenied;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.pool.PoolSpec;
import dev.spinneret.selection.InterfaceRequest;
import dev.spinneret.selection.PodInterfaces;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The interfaces of a pod that Spinneret serves and where each one's pools come from ({@link PodInterfaces}), with
 * the cluster's facts: the chart's {@code ipam.primaryNetwork}, NetworkAttachmentDefinitions from the informer,
 * the namespace's annotations and the cluster default pools.
 */
@ApplicationScoped
public class ServedInterfaces {
    @Inject
    ClusterCache cache;
    /** Whether the cluster network (eth0) uses Spinneret IPAM (chart value ipam.primaryNetwork). */
    @ConfigProperty(name = "spinneret.ipam.primary-network", defaultValue = "false")
    boolean primaryNetwork;
    /** Where Multus looks up a bare v1.multus-cni.io/default-network name (Multus' multusNamespace). */
    @ConfigProperty(name = "spinneret.multus.namespace", defaultValue = "kube-system")
    String multusNamespace;

    /**
     * @param decided interfaces already served by automatic pools (subnet annotations)
     * @return empty when the pod uses Spinneret on no interface
     */
    public List<InterfaceRequest> requests(Map<String, String> podAnnotations, Namespace namespace, String podNamespace,
            Set<String> decided) {
        List<String> v4 = new ArrayList<>();
        List<String> v6 = new ArrayList<>();
        for (SpiderIPPool p : cache.pools()) {
            if (p.getSpec() != null && Boolean.TRUE.equals(p.getSpec().isDefault) && p.getSpec().ipVersion != null) {
                (PoolSpec.family(p) == IpFamily.V6 ? v6 : v4).add(p.getMetadata().getName());
            }
        }
        v4.sort(null);
        v6.sort(null);
        return PodInterfaces.requests(podAnnotations,
                namespace == null ? Map.of() : namespace.getMetadata().getAnnotations(), podNamespace,
                new PodInterfaces.Settings(primaryNetwork, multusNamespace), this::network, v4, v6, decided);
    }

    private Optional<String> network(String namespace, String name) {
        try {
            return cache.networkConfig(namespace, name);
        } catch (KubernetesClientException e) {
            throw new ReservationDenied(503, "ApiServer", "could not read NetworkAttachmentDefinition " + namespace
                    + "/" + name + ": " + e.getMessage());
        }
    }
}
