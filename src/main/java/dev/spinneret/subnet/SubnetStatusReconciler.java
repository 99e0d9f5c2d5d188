package dev.spinneret.subnet;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.api.v2beta1.SpiderSubnetStatus;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.MaxReconciliationInterval;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps SpiderSubnet status in step: {@code totalIPCount} (its usable addresses), {@code allocatedIPCount} (addresses
 * handed to pools of its CIDR — manual and automatic — not to pods, as in Spiderpool) and
 * {@code controlledIPPools}. Reacts to pool changes; writes only when something differs, conditionally on the
 * resourceVersion it read.
 */
@ControllerConfiguration(name = "spidersubnet-status",
        maxReconciliationInterval = @MaxReconciliationInterval(interval = 60, timeUnit = TimeUnit.SECONDS))
public class SubnetStatusReconciler implements Reconciler<SpiderSubnet> {
    @Inject
    KubernetesClient client;
    @Inject
    ObjectMapper mapper;
    @Inject
    ClusterCache cache;

    @Override
    public List<EventSource<?, SpiderSubnet>> prepareEventSources(EventSourceContext<SpiderSubnet> context) {
        return List.of(new PoolSpecEvents(cache, context));
    }

    @Override
    public UpdateControl<SpiderSubnet> reconcile(SpiderSubnet subnet, Context<SpiderSubnet> context) throws Exception {
        if (subnet.getSpec() == null || subnet.isMarkedForDeletion()) {
            return UpdateControl.noUpdate();
        }
        AddressSpec spec;
        try {
            spec = PoolSpec.addresses(subnet);
        } catch (RuntimeException e) {
            return UpdateControl.noUpdate();
        }
        Set<SpiderIPPool> pools = context.getSecondaryResources(SpiderIPPool.class);
        TreeMap<String, Object> controlled = new TreeMap<>();
        IpRangeSet handed = IpRangeSet.empty(spec.family());
        for (SpiderIPPool p : pools) {
            if (p.getSpec() == null || !spec.subnet().toString().equals(p.getSpec().subnet)) {
                continue;
            }
            try {
                AddressSpec ps = PoolSpec.addresses(p);
                IpRangeSet mine = ps.ips().intersect(spec.usable());
                handed = handed.union(mine);
                ObjectNode entry = mapper.createObjectNode();
                mine.toStrings().forEach(entry.putArray("ips")::add);
                // Spiderpool's application key, e.g. apps_v1_Deployment_default_nginx; only automatic pools have one
                String app = p.getMetadata().getAnnotations() == null ? null
                        : p.getMetadata().getAnnotations().get(AutoPoolLabels.APPLICATION);
                if (app != null) {
                    entry.put("application", app);
                }
                controlled.put(p.getMetadata().getName(), entry);
            } catch (RuntimeException e) {
                // an unreadable pool is reported by its own validation; it does not count here
            }
        }
        SpiderSubnetStatus want = new SpiderSubnetStatus();
        want.totalIPCount = spec.usable().sizeSaturatedLong();
        want.allocatedIPCount = handed.sizeSaturatedLong();
        want.controlledIPPools = controlled.isEmpty() ? null : mapper.writeValueAsString(controlled);
        SpiderSubnetStatus have = subnet.getStatus();
        if (have != null && Objects.equals(have.totalIPCount, want.totalIPCount)
                && Objects.equals(have.allocatedIPCount, want.allocatedIPCount)
                && Objects.equals(have.controlledIPPools, want.controlledIPPools)) {
            return UpdateControl.noUpdate();
        }
        subnet.setStatus(want);
        try {
            client.resource(subnet).updateStatus(); // conditional on the resourceVersion we reconciled
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) {
                throw e;
            }
            // someone else changed it: JOSDK will call us again with the new version
        }
        return UpdateControl.noUpdate();
    }
}
