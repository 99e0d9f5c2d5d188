package dev.spinneret.gc;

import dev.spinneret.api.v2beta1.SpiderApi;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.cluster.AdmissionGate;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.cluster.Finalizers;
import dev.spinneret.cluster.GcLease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import org.jboss.logging.Logger;

/**
 * A SpiderSubnet being deleted keeps its finalizer while any SpiderIPPool of its CIDR exists (their addresses are
 * handed out from it); once none is left the finalizer is removed and the deletion completes. A live subnet's legacy
 * finalizer is replaced in one write. Subnets being deleted are watched by a small informer of their own (JOSDK hands
 * deleted objects only to finalizing reconcilers).
 */
@ApplicationScoped
public class SubnetFinalizers {
    private static final Logger LOG = Logger.getLogger(SubnetFinalizers.class);

    @Inject
    KubernetesClient client;
    @Inject
    GcLease lease;
    @Inject
    AdmissionGate gate;
    @Inject
    FinalizerWrites finalizers;

    private volatile SharedIndexInformer<SpiderSubnet> subnets;
    private volatile Executor gcThread;

    /** Starts the watch; the work it causes runs on {@code gcThread} (the garbage collector's). */
    void start(Executor gcThread) {
        this.gcThread = gcThread;
        subnets = ClusterCache.resilient(client.resources(SpiderSubnet.class).runnableInformer(0));
        subnets.addEventHandler(new ResourceEventHandler<>() {
            @Override
            public void onAdd(SpiderSubnet s) {
                onUpdate(null, s);
            }

            @Override
            public void onUpdate(SpiderSubnet old, SpiderSubnet s) {
                if (s.isMarkedForDeletion()) {
                    mayGo();
                }
            }

            @Override
            public void onDelete(SpiderSubnet s, boolean unknown) {
            }
        });
        subnets.start();
    }

    /**
     * A subnet was marked for deletion or a pool went: lets deleted subnets without pools go now instead of at the
     * next sweep (so {@code kubectl delete ss} returns at once). Lease holder only, on the garbage collector's thread.
     */
    void mayGo() {
        if (!lease.isLeader()) {
            return;
        }
        gcThread.execute(() -> {
            try {
                releaseEmpty();
            } catch (RuntimeException e) {
                LOG.warnf("releasing deleted subnets failed: %s; the next sweep retries", e.getMessage());
            }
        });
    }

    /** Lets every deleted subnet without pools go; replaces live subnets' legacy finalizers. */
    void releaseEmpty() {
        for (SpiderSubnet subnet : client.resources(SpiderSubnet.class).list().getItems()) {
            String name = subnet.getMetadata().getName();
            String uid = subnet.getMetadata().getUid();
            List<String> have = subnet.getMetadata().getFinalizers();
            if (!subnet.isMarkedForDeletion()) {
                if (Finalizers.legacy(have) && finalizers.set(SpiderSubnet.class, name, uid, false, fresh -> true,
                        f -> Finalizers.migrated(f, SpiderApi.SUBNET_FINALIZER))) {
                    LOG.infof("SpiderSubnet %s: legacy finalizer %s replaced by %s", name,
                            SpiderApi.LEGACY_FINALIZER, SpiderApi.SUBNET_FINALIZER);
                }
                continue;
            }
            if (!Finalizers.held(have, SpiderApi.SUBNET_FINALIZER)) {
                continue;
            }
            String cidr = subnet.getSpec() == null ? null : subnet.getSpec().subnet;
            boolean inUse = client.resources(SpiderIPPool.class).list().getItems().stream()
                    .anyMatch(p -> p.getSpec() != null && Objects.equals(cidr, p.getSpec().subnet));
            if (inUse) {
                continue;
            }
            gate.forget("SpiderSubnet", name, uid);
            if (finalizers.set(SpiderSubnet.class, name, uid, true, fresh -> true,
                    f -> Finalizers.released(f, SpiderApi.SUBNET_FINALIZER))) {
                LOG.infof("SpiderSubnet %s has no pools left: finalizer removed, deletion proceeds", name);
            }
        }
    }

    @PreDestroy
    void stop() {
        if (subnets != null) {
            subnets.stop();
        }
    }
}
