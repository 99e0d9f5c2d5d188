package dev.spinneret.reservation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.spinneret.api.v2beta1.SpiderIPPool;
import dev.spinneret.cluster.ClusterCache;
import dev.spinneret.ip.AllocationLedger;
import dev.spinneret.ip.IpAddress;
import dev.spinneret.blocks.PoolBlocks;
import dev.spinneret.selection.IpamAnnotations;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.Map;

/**
 * Tells our own reservation on a pod being created (the API server re-invokes the webhook when a later mutating
 * webhook changed the pod; each call has a new request uid) from one a user wrote or copied from another pod.
 * It is ours only if its id is the pod's reservation label, no stored pod holds that id yet, and every address it
 * names is held by that id in its pool's ledger (the one block it falls in, read fresh). A copied or invented reservation fails one of these.
 */
@ApplicationScoped
public class Reinvocations {
    @Inject
    KubernetesClient client;
    @Inject
    ClusterCache cache;
    @Inject
    ObjectMapper mapper;
    @Inject
    PoolBlocks blocks;

    boolean isOwn(Pod pod, String annotation) {
        JsonNode r;
        try {
            r = mapper.readTree(annotation);
        } catch (Exception e) {
            return false;
        }
        String id = r.path("id").asText("");
        Map<String, String> labels = pod.getMetadata().getLabels();
        if (id.isEmpty() || labels == null || !id.equals(labels.get(IpamAnnotations.RESERVATION_LABEL))) {
            return false;
        }
        if (!cache.podsWithReservation(id).isEmpty()) {
            return false;
        }
        JsonNode ifaces = r.path("interfaces");
        if (!ifaces.isArray() || ifaces.isEmpty()) {
            return false;
        }
        for (JsonNode i : ifaces) {
            for (String fam : new String[] { "ipv4", "ipv6" }) {
                if (!i.hasNonNull(fam)) {
                    continue;
                }
                if (!heldBy(i.path(fam + "Pool").asText(""), i.get(fam).asText(), id)) {
                    return false;
                }
            }
        }
        return true;
    }

    private boolean heldBy(String poolName, String cidr, String id) {
        if (poolName.isEmpty()) {
            return false;
        }
        SpiderIPPool pool = client.resources(SpiderIPPool.class).withName(poolName).get();
        if (pool == null || pool.getStatus() == null || pool.getStatus().allocatedIPs == null
                || pool.getSpec() == null || pool.getSpec().ipVersion == null) {
            return false;
        }
        try {
            IpAddress a = IpAddress.parse(cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr);
            AllocationLedger ledger = PoolBlocks.migrated(pool) ? blocks.readFresh(pool, a).ledger() // its one block
                    : PoolBlocks.inline(pool);
            return ledger.owner(a).map(id::equals).orElse(false);
        } catch (RuntimeException e) {
            return false;
        }
    }
}
