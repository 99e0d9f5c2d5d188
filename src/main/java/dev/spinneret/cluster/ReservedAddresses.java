package dev.spinneret.cluster;

import dev.spinneret.api.v2beta1.SpiderReservedIP;
import dev.spinneret.ip.IpFamily;
import dev.spinneret.ip.IpRangeSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import org.jboss.logging.Logger;

/** The union of every SpiderReservedIP of a family: addresses no pool ever hands out. */
@ApplicationScoped
public class ReservedAddresses {
    private static final Logger LOG = Logger.getLogger(ReservedAddresses.class);

    @Inject
    KubernetesClient client;

    private volatile SharedIndexInformer<SpiderReservedIP> informer;

    void start() {
        informer = ClusterCache.resilient(client.resources(SpiderReservedIP.class)
                .runnableInformer(0));
        informer.start();
    }

    boolean synced() {
        return informer != null && informer.hasSynced();
    }

    public IpRangeSet of(IpFamily family) {
        List<SpiderReservedIP> all = informer != null ? informer.getStore().list()
                : client.resources(SpiderReservedIP.class).list().getItems();
        IpRangeSet set = IpRangeSet.empty(family);
        List<String> items = new ArrayList<>();
        for (SpiderReservedIP r : all) {
            if (r.getSpec() == null || r.getSpec().ips == null || r.getSpec().ipVersion == null
                    || r.getSpec().ipVersion != family.number()) {
                continue;
            }
            items.clear();
            items.addAll(r.getSpec().ips);
            try {
                set = set.union(IpRangeSet.parse(family, items));
            } catch (RuntimeException e) {
                LOG.warnf("SpiderReservedIP %s is unreadable and ignored: %s", r.getMetadata().getName(), e.getMessage());
            }
        }
        return set;
    }
}
