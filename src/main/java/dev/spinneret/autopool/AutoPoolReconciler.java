package dev.spinneret.autopool;

import com.fasterxml.jackson.databind.JsonNode;
import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.Events;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpRangeSet;
import dev.spinneret.pool.AutoPoolLabels;
import dev.spinneret.pool.Owner;
import dev.spinneret.selection.AutoPoolSizing;
import dev.spinneret.selection.PoolSize;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.Map;
import java.util.OptionalInt;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Shrinks and reclaims automatic pools; run by the garbage-collection leader on every sweep (growing happens at
 * admission, in {@link AutoPools}).
 * <ul>
 * <li>Workload still there: a pool larger than replicas + N (or N) gives back its highest free addresses; an address
 * a pod holds is never removed (the update is resourceVersion-conditional and the pool webhook refuses removing an
 * allocated address), so a pool whose pods have not gone yet stays larger until the next sweep.</li>
 * <li>Workload gone (or replaced by one with another UID, or its pod template no longer names a subnet) and
 * {@code ippool-reclaim} true: the pool is deleted once
 * its ledger is empty; its addresses return to the subnet. With reclaim false it stays for the next workload of the
 * same kind, namespace and name.</li>
 * </ul>
 */
@ApplicationScoped
public class AutoPoolReconciler {
    private static final Logger LOG = Logger.getLogger(AutoPoolReconciler.class);

    @Inject
    KubernetesClient client;
    @Inject
    AutoPools autoPools;
    @Inject
    AdmissionGate gate;
    @Inject
    Events events;
    @ConfigProperty(name = "spinneret.auto-pool.default-ip-number", defaultValue = "+1")
    String defaultIpNumber;

    /**
     * One automatic pool, as the garbage-collection sweep just read it from the API server (pool and decoded ledger;
     * other pools pass through untouched). {@code workloads} caches the owners read during this sweep.
     */
    public void reconcile(SpiderIPPool pool, AllocationLedger ledger, Map<String, GenericKubernetesResource> workloads) {
        if (AutoPools.label(pool, AutoPoolLabels.UID) == null || pool.isMarkedForDeletion() || pool.getSpec() == null) {
            return;
        }
        try {
            reconcileAutomatic(pool, ledger, workloads);
        } catch (RuntimeException e) {
            LOG.warnf("automatic pool %s: %s (next sweep retries)", pool.getMetadata().getName(), e.getMessage());
        }
    }

    private void reconcileAutomatic(SpiderIPPool pool, AllocationLedger ledger,
            Map<String, GenericKubernetesResource> workloads) {
        String name = pool.getMetadata().getName();
        String apiVersion = apiVersion(AutoPools.label(pool, AutoPoolLabels.GV));
        String kind = AutoPools.label(pool, AutoPoolLabels.KIND);
        String ns = AutoPools.label(pool, AutoPoolLabels.NAMESPACE);
        String appName = applicationName(pool);
        if (kind == null || ns == null || appName == null) {
            return;
        }
        String key = apiVersion + "/" + kind + "/" + ns + "/" + appName;
        GenericKubernetesResource w = workloads.computeIfAbsent(key, k -> get(apiVersion, kind, ns, appName));
        JsonNode json = w == null ? null : client.getKubernetesSerialization().convertValue(w, JsonNode.class);
        // gone, replaced by a namesake, being deleted, or moved off automatic pools (subnet annotation removed)
        boolean alive = w != null && AutoPoolLabels.labelValue(w.getMetadata().getUid())
                .equals(AutoPools.label(pool, AutoPoolLabels.UID)) && w.getMetadata().getDeletionTimestamp() == null
                && WorkloadScale.wantsSubnet(kind, json);
        if (!alive) {
            if ("true".equals(AutoPools.label(pool, AutoPoolLabels.RECLAIM)) && ledger.isEmpty()) {
                client.resource(pool).delete(); // the finalizer goes once the ledger is empty (it is)
                gate.forget("SpiderIPPool", name, pool.getMetadata().getUid());
                autoPools.count("delete");
                LOG.infof("deleted SpiderIPPool %s: its %s %s/%s is gone and nothing is allocated; its addresses"
                        + " return to SpiderSubnet %s", name, kind, ns, appName,
                        AutoPools.label(pool, SpiderApi.LABEL_OWNER_SUBNET));
            }
            return;
        }
        OptionalInt replicas = WorkloadScale.replicas(apiVersion, kind, json);
        int desired;
        try {
            desired = PoolSize.parse(AutoPools.annotation(pool), defaultIpNumber).desired(replicas, kind + " " + ns
                    + "/" + appName);
        } catch (RuntimeException e) {
            return; // a fixed size is enforced at admission; nothing to shrink to here
        }
        IpRangeSet current = AutoPools.usable(pool);
        IpRangeSet smaller = AutoPoolSizing.shrink(current, ledger.allocated(), desired);
        if (smaller.equals(current)) {
            return;
        }
        SpiderIPPool copy = client.getKubernetesSerialization().clone(pool);
        copy.getSpec().ips = new ArrayList<>(smaller.toStrings());
        copy.getSpec().excludeIPs = null;
        try {
            client.resource(copy).update(); // conditional on the resourceVersion; the pool webhook fences the
            // removed addresses in their blocks and refuses the update if a reservation took one since the read
            autoPools.count("shrink");
            events.normal(new Owner(apiVersion, kind, ns, appName, w.getMetadata().getUid()), "AutoPoolResized",
                    "SpiderIPPool " + name + " shrank to " + smaller.sizeSaturatedLong() + " addresses (" + desired
                            + " wanted, " + ledger.size() + " in use); " + String.join(",", current.minus(smaller)
                            .toStrings()) + " returned to the subnet");
            LOG.infof("SpiderIPPool %s shrank from %d to %d addresses (%s %s/%s wants %d, %d allocated)", name,
                    current.sizeSaturatedLong(), smaller.sizeSaturatedLong(), kind, ns, appName, desired,
                    ledger.size());
        } catch (KubernetesClientException e) {
            LOG.debugf("shrinking SpiderIPPool %s: %s (next sweep retries)", name, e.getMessage());
        }
    }

    private GenericKubernetesResource get(String apiVersion, String kind, String ns, String name) {
        try {
            return client.genericKubernetesResources(apiVersion, kind).inNamespace(ns).withName(name).get();
        } catch (KubernetesClientException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw e;
        } catch (IllegalArgumentException e) {
            return null; // the kind is no longer served: its workloads are gone
        }
    }

    /** {@code apps_v1} → {@code apps/v1}; {@code v1} stays. */
    static String apiVersion(String gvLabel) {
        if (gvLabel == null) {
            return "v1";
        }
        int i = gvLabel.lastIndexOf('_');
        return i < 0 ? gvLabel : gvLabel.substring(0, i) + "/" + gvLabel.substring(i + 1);
    }

    /** The full workload name from the application annotation (labels are cut at 63 characters). */
    private static String applicationName(SpiderIPPool pool) {
        String key = pool.getMetadata().getAnnotations() == null ? null
                : pool.getMetadata().getAnnotations().get(AutoPoolLabels.APPLICATION);
        String kind = AutoPools.label(pool, AutoPoolLabels.KIND);
        String ns = AutoPools.label(pool, AutoPoolLabels.NAMESPACE);
        if (key != null && kind != null && ns != null) {
            String marker = "_" + kind + "_" + ns + "_";
            int i = key.indexOf(marker);
            if (i >= 0) {
                return key.substring(i + marker.length());
            }
        }
        return AutoPools.label(pool, AutoPoolLabels.NAME);
    }

}
