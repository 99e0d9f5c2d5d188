package dev.spinneret.cluster;

import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.api.v2beta1.SpiderSubnet;
import dev.spinneret.pool.AddressSpec;
import dev.spinneret.pool.Footprint;
import dev.spinneret.pool.PoolSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/** Lists every pool and subnet fresh from the API server (a quorum read, not a cache) as footprints. */
@ApplicationScoped
public class ClusterFootprints {
    private static final Logger LOG = Logger.getLogger(ClusterFootprints.class);

    @Inject
    KubernetesClient client;

    public List<Footprint> fresh() {
        List<Footprint> out = new ArrayList<>();
        for (SpiderIPPool p : client.resources(SpiderIPPool.class).list().getItems()) {
            if (p.getSpec() == null) {
                continue;
            }
            try {
                AddressSpec s = PoolSpec.addresses(p);
                out.add(new Footprint("SpiderIPPool", p.getMetadata().getName(), s.subnet(), s.usable(),
                        p.getMetadata().getUid(), p.getMetadata().getGeneration()));
            } catch (RuntimeException e) {
                LOG.warnf("SpiderIPPool %s has an unreadable spec and is ignored in overlap checks: %s",
                        p.getMetadata().getName(), e.getMessage());
            }
        }
        for (SpiderSubnet p : client.resources(SpiderSubnet.class).list().getItems()) {
            if (p.getSpec() == null) {
                continue;
            }
            try {
                AddressSpec s = PoolSpec.addresses(p);
                out.add(new Footprint("SpiderSubnet", p.getMetadata().getName(), s.subnet(), s.usable(),
                        p.getMetadata().getUid(), p.getMetadata().getGeneration()));
            } catch (RuntimeException e) {
                LOG.warnf("SpiderSubnet %s has an unreadable spec and is ignored in overlap checks: %s",
                        p.getMetadata().getName(), e.getMessage());
            }
        }
        return out;
    }
}
